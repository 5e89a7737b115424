// Package h1 is the proxy's own reading of HTTP/1.1 (RFC 9112): strict on purpose. It
// accepts a subset of what net/http accepts — never more — and refuses, rather than
// repairs, anything two parsers could read two ways (request smuggling): Content-Length
// with Transfer-Encoding, a transfer coding other than exactly chunked, a duplicate or
// malformed Content-Length, obs-fold, bare CR or LF, whitespace before a colon, control
// bytes in a value, a missing or duplicate Host. The differential fuzz test holds it to
// that: whatever it accepts, net/http reads the same way.
package h1

import (
	"bytes"
	"errors"
	"fmt"
)

// Errors a request head is refused with. Every refusal closes the connection.
var (
	// ErrIncomplete: the head has not ended yet; read more and parse again.
	ErrIncomplete = errors.New("h1: incomplete head")
	// ErrHeadTooLarge: the head is longer than the limit (431).
	ErrHeadTooLarge = errors.New("h1: request head too large")
	// ErrMalformed: anything else refused (400), wrapped with the reason.
	ErrMalformed = errors.New("h1: malformed request")
	// ErrUnsupportedCoding: a transfer coding other than chunked (501).
	ErrUnsupportedCoding = errors.New("h1: unsupported transfer coding")
)

// Field is one header field as received: the name as sent (matched case-insensitively),
// the value without the surrounding whitespace.
type Field struct {
	Name, Value []byte
}

// Request is a parsed request head. Its byte slices point into the buffer parsed.
type Request struct {
	Method, Target []byte
	Minor          int // HTTP/1.Minor: 0 or 1
	Fields         []Field
	Host           []byte
	// ContentLength is the body's length; -1 when the body is chunked, 0 when none.
	ContentLength int64
	Chunked       bool
	// KeepAlive is false when the connection closes after this exchange.
	KeepAlive bool
	Expect100 bool
	closeSeen bool

	// HeadLen is how many bytes of the buffer the head took, its final CRLF included:
	// the body starts there.
	HeadLen int
}

// Limits bound a head.
type Limits struct {
	MaxHeadBytes int // default 64 KiB
	MaxFields    int // default 128
}

func (l Limits) withDefaults() Limits {
	if l.MaxHeadBytes <= 0 {
		l.MaxHeadBytes = 64 << 10
	}
	if l.MaxFields <= 0 {
		l.MaxFields = 128
	}
	return l
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// ParseRequest parses the request head at the start of b. ErrIncomplete asks for more
// bytes (b holds no CRLFCRLF yet and is under the limit); fields reuses r.Fields' array.
func ParseRequest(b []byte, lim Limits, r *Request) error {
	lim = lim.withDefaults()
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) >= lim.MaxHeadBytes {
			return ErrHeadTooLarge
		}
		return ErrIncomplete
	}
	if end+4 > lim.MaxHeadBytes {
		return ErrHeadTooLarge
	}
	*r = Request{Fields: r.Fields[:0], HeadLen: end + 4}
	head := b[:end+2] // every line ends in CRLF
	nl := bytes.Index(head, []byte("\r\n"))
	if err := r.parseLine(head[:nl]); err != nil {
		return err
	}
	for rest := head[nl+2:]; len(rest) > 0; {
		nl := bytes.Index(rest, []byte("\r\n"))
		if err := r.addField(rest[:nl]); err != nil {
			return err
		}
		if len(r.Fields) > lim.MaxFields {
			return ErrHeadTooLarge
		}
		rest = rest[nl+2:]
	}
	return r.frame()
}
