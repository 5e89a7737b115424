package mirror

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// A mirrored _bulk's action lines and the active cluster's answer to it are read once per
// write, on the write's path. encoding/json reads each twice (a validating scan, then the
// decode by reflection); jsontext reads them once, as a stream of tokens. The readers here
// take only what encoding/json would read the same way — valid UTF-8, no duplicate names,
// names spelled exactly, integers where numbers are wanted — and give up on anything
// else, which their callers then read with encoding/json as before. Fuzz tests hold each
// to encoding/json's reading wherever it does not give up.

// jsonReader is a pooled jsontext.Decoder reading straight from a byte slice: a
// bytes.Buffer is read in place, without a copy.
type jsonReader struct {
	buf       bytes.Buffer
	dec       *jsontext.Decoder
	lastIndex string // the last index name an action line gave (action_scan.go)
}

var jsonReaders = sync.Pool{New: func() any {
	r := &jsonReader{}
	r.dec = jsontext.NewDecoder(&r.buf)
	return r
}}

// readJSON returns a reader of b; release it when done with every value read from it.
func readJSON(b []byte) *jsonReader {
	r := jsonReaders.Get().(*jsonReader)
	r.buf = *bytes.NewBuffer(b)
	r.dec.Reset(&r.buf)
	return r
}

func (r *jsonReader) release() {
	r.buf = bytes.Buffer{}
	r.dec.Reset(&r.buf)
	jsonReaders.Put(r)
}

// name reads an object's next name, unquoted; the slice is valid until the next read.
func (r *jsonReader) name() ([]byte, bool) {
	v, err := r.dec.ReadValue()
	if err != nil || v.Kind() != '"' {
		return nil, false
	}
	return unquoted(v)
}

// unquoted is a JSON string's content: the bytes between the quotes when nothing is
// escaped, else a decoded copy.
func unquoted(v jsontext.Value) ([]byte, bool) {
	if !hasEscape(v) {
		return v[1 : len(v)-1], true
	}
	s, err := jsontext.AppendUnquote(nil, v)
	return s, err == nil
}

func hasEscape(v []byte) bool { return bytes.IndexByte(v, '\\') >= 0 }

// delim reads the next token and reports whether it is the delimiter want.
func (r *jsonReader) delim(want jsontext.Kind) bool {
	tok, err := r.dec.ReadToken()
	return err == nil && tok.Kind() == want
}

// end reports whether the object being read has no more names.
func (r *jsonReader) end() bool { return r.dec.PeekKind() == '}' }

// done reports whether nothing but whitespace follows the value read.
func (r *jsonReader) done() bool {
	_, err := r.dec.ReadToken()
	return err == io.EOF
}

// stringValue reads a string's content, unquoted (valid until the next read), or null
// (nil); ok is false for any other value.
func (r *jsonReader) stringValue() ([]byte, bool) {
	v, err := r.dec.ReadValue()
	if err != nil {
		return nil, false
	}
	switch v.Kind() {
	case 'n':
		return nil, true
	case '"':
		return unquoted(v)
	}
	return nil, false
}

// integer reads a number that is an integer, as encoding/json reads one into an int64;
// null is nil. ok is false for any other value.
func (r *jsonReader) integer() (n *int64, ok bool) {
	v, err := r.dec.ReadValue()
	if err != nil {
		return nil, false
	}
	switch v.Kind() {
	case 'n':
		return nil, true
	case '0':
		i, err := strconv.ParseInt(string(v), 10, 64)
		return &i, err == nil
	}
	return nil, false
}

// foldsTo reports whether encoding/json would match name to one of the fields (each
// lower-case ASCII, given upper-cased) only case-insensitively: a name that must be left
// to encoding/json. A name of lower-case ASCII matches a field only by being it.
func foldsTo(name []byte, upper ...string) bool {
	plain := true
	for _, c := range name {
		if 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return false
	}
	var arr [32]byte
	f := foldName(arr[:0], name)
	for _, u := range upper {
		if string(f) == u {
			return true
		}
	}
	return false
}

// foldName is encoding/json's folding of a field name: ASCII letters upper-cased, other
// runes through ToLower then ToUpper.
func foldName(out, in []byte) []byte {
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		out = utf8.AppendRune(out, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return out
}
