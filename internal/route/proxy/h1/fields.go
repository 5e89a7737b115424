package h1

import (
	"bytes"
)

// tchar is RFC 9110's token character set: what methods and field names are made of.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

// parseLine reads "METHOD SP origin-form SP HTTP/1.x". Only origin-form targets are
// taken: the proxy forwards to its configured clusters, never to a URL a client names.
func (r *Request) parseLine(line []byte) error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return malformed("request line %q: want METHOD SP TARGET SP HTTP/1.x", clip(line))
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 < 0 {
		return malformed("request line %q: want METHOD SP TARGET SP HTTP/1.x", clip(line))
	}
	r.Method, r.Target = line[:sp1], line[sp1+1:sp1+1+sp2]
	proto := line[sp1+1+sp2+1:]
	if !isToken(r.Method) {
		return malformed("method %q is not a token", clip(r.Method))
	}
	if len(r.Target) == 0 || r.Target[0] != '/' {
		return malformed("target %q: only origin-form (/path?query) is accepted", clip(r.Target))
	}
	if err := checkTarget(r.Target); err != nil {
		return err
	}
	switch string(proto) {
	case "HTTP/1.1":
		r.Minor, r.KeepAlive = 1, true
	case "HTTP/1.0":
		r.Minor = 0
	default:
		return malformed("protocol %q: want HTTP/1.1 or HTTP/1.0", clip(proto))
	}
	return nil
}

// checkTarget refuses a control byte, a space or a fragment anywhere, and a % in the
// path that does not start an escape of two hex digits.
func checkTarget(t []byte) error {
	inPath := true
	for i, c := range t {
		switch {
		case c <= ' ' || c == 0x7f || c == '#':
			return malformed("target holds a control byte, a space or a fragment")
		case c == '?':
			inPath = false
		case c == '%' && inPath && (i+2 >= len(t) || !isHex(t[i+1]) || !isHex(t[i+2])):
			return malformed("target %q: %% not followed by two hex digits", clip(t))
		}
	}
	return nil
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// addField reads "name: value". No whitespace before the colon, no obs-fold (a line
// starting with whitespace), no control byte but HTAB in the value.
func (r *Request) addField(line []byte) error {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			return malformed("obs-fold (a field line starting with whitespace) is refused")
		}
		return malformed("field line %q has no name", clip(line))
	}
	name := line[:colon]
	if !isToken(name) {
		return malformed("field name %q is not a token (whitespace before the colon?)", clip(name))
	}
	value := bytes.Trim(line[colon+1:], " \t")
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return malformed("field %s holds a control byte", name)
		}
	}
	r.Fields = append(r.Fields, Field{Name: name, Value: value})
	return nil
}

// frame decides how the body is delimited and what the connection does after, from the
// fields: one Host; Content-Length (one, digits only) or Transfer-Encoding (exactly
// chunked, HTTP/1.1 only), never both.
func (r *Request) frame() error {
	var hosts, lengths, codings int
	var length []byte
	for _, f := range r.Fields {
		switch {
		case bytes.EqualFold(f.Name, []byte("Host")):
			hosts++
			r.Host = f.Value
		case bytes.EqualFold(f.Name, []byte("Content-Length")):
			lengths++
			length = f.Value
		case bytes.EqualFold(f.Name, []byte("Transfer-Encoding")):
			codings++
			if !bytes.EqualFold(f.Value, []byte("chunked")) {
				return ErrUnsupportedCoding
			}
		case bytes.EqualFold(f.Name, []byte("Connection")):
			r.connection(f.Value)
		case bytes.EqualFold(f.Name, []byte("Expect")):
			if !bytes.EqualFold(f.Value, []byte("100-continue")) {
				return malformed("Expect %q: only 100-continue is known", clip(f.Value))
			}
			r.Expect100 = true
		}
	}
	switch {
	case hosts > 1:
		return malformed("%d Host fields, want one", hosts)
	case hosts == 0 && r.Minor == 1:
		return malformed("no Host field in an HTTP/1.1 request")
	case codings > 0 && lengths > 0:
		return malformed("both Content-Length and Transfer-Encoding: the body's end is ambiguous")
	case codings > 1:
		return malformed("Transfer-Encoding given %d times", codings)
	case codings == 1 && r.Minor == 0:
		return malformed("Transfer-Encoding in an HTTP/1.0 request")
	case lengths > 1:
		return malformed("Content-Length given %d times", lengths)
	case codings == 1:
		r.Chunked, r.ContentLength = true, -1
	case lengths == 1:
		n, ok := parseLength(length)
		if !ok {
			return malformed("Content-Length %q: want digits only", clip(length))
		}
		r.ContentLength = n
	}
	return nil
}

// connection applies a Connection field's options to KeepAlive: close wins, and
// keep-alive matters only to HTTP/1.0.
func (r *Request) connection(v []byte) {
	var closing, keep bool
	for opt := range bytes.SplitSeq(v, []byte(",")) {
		opt = bytes.Trim(opt, " \t")
		closing = closing || bytes.EqualFold(opt, []byte("close"))
		keep = keep || bytes.EqualFold(opt, []byte("keep-alive"))
	}
	switch {
	case closing:
		r.KeepAlive, r.closeSeen = false, true
	case keep && r.Minor == 0 && !r.closeSeen:
		r.KeepAlive = true
	}
}

// parseLength reads a Content-Length: 1 to 18 digits, nothing else.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// clip bounds what an error quotes of the input.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
