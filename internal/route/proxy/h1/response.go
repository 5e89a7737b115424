package h1

import (
	"bytes"
)

// Response is a parsed response head from a node. Its byte slices point into the buffer
// parsed.
type Response struct {
	Minor  int // HTTP/1.Minor
	Status int
	Reason []byte
	Fields []Field
	// Body says how the body is delimited: BodyNone, BodyLength (ContentLength bytes),
	// BodyChunked, or BodyUntilClose (HTTP/1.0-style: the connection cannot be reused).
	Body          BodyKind
	ContentLength int64
	// KeepAlive is false when the node closes the connection after this answer.
	KeepAlive bool
	HeadLen   int
}

// BodyKind is how a message's body is delimited (RFC 9112 6.3).
type BodyKind uint8

const (
	BodyNone BodyKind = iota
	BodyLength
	BodyChunked
	BodyUntilClose
)

// ParseResponse parses the response head at the start of b, for a request with method
// (a HEAD's answer has no body whatever its fields say). The same refusals as for a
// request apply: an ambiguous frame is never guessed, and the connection is dropped.
func ParseResponse(b []byte, method []byte, lim Limits, r *Response) error {
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
	*r = Response{Fields: r.Fields[:0], HeadLen: end + 4}
	head := b[:end+2]
	nl := bytes.Index(head, []byte("\r\n"))
	if err := r.parseStatus(head[:nl]); err != nil {
		return err
	}
	var q Request // the field rules are the request's
	q.Fields = r.Fields
	for rest := head[nl+2:]; len(rest) > 0; {
		nl := bytes.Index(rest, []byte("\r\n"))
		if err := q.addField(rest[:nl]); err != nil {
			return err
		}
		if len(q.Fields) > lim.MaxFields {
			return ErrHeadTooLarge
		}
		rest = rest[nl+2:]
	}
	r.Fields = q.Fields
	return r.frame(method)
}

// parseStatus reads "HTTP/1.x SP 3DIGIT SP reason".
func (r *Response) parseStatus(line []byte) error {
	if len(line) < 12 || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return malformed("status line %q: want HTTP/1.x SP 3DIGIT SP reason", clip(line))
	}
	switch string(line[:8]) {
	case "HTTP/1.1":
		r.Minor, r.KeepAlive = 1, true
	case "HTTP/1.0":
	default:
		return malformed("status line %q: want HTTP/1.1 or HTTP/1.0", clip(line))
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return malformed("status %q is not three digits", line[9:12])
		}
		r.Status = r.Status*10 + int(c-'0')
	}
	if r.Status < 100 {
		return malformed("status %d", r.Status)
	}
	if len(line) > 12 {
		r.Reason = line[13:]
		for _, c := range r.Reason {
			if c < ' ' && c != '\t' || c == 0x7f {
				return malformed("reason phrase holds a control byte")
			}
		}
	}
	return nil
}

// frame decides the body's delimitation: none for HEAD, 1xx, 204 and 304; else exactly
// chunked, or one Content-Length, or (neither) until the connection closes.
func (r *Response) frame(method []byte) error {
	var lengths, codings int
	var length []byte
	conn := Request{Minor: r.Minor, KeepAlive: r.KeepAlive} // the Connection rules are the request's
	for _, f := range r.Fields {
		switch {
		case bytes.EqualFold(f.Name, []byte("Content-Length")):
			lengths++
			length = f.Value
		case bytes.EqualFold(f.Name, []byte("Transfer-Encoding")):
			codings++
			if !bytes.EqualFold(f.Value, []byte("chunked")) {
				return ErrUnsupportedCoding
			}
		case bytes.EqualFold(f.Name, []byte("Connection")):
			conn.connection(f.Value)
		}
	}
	r.KeepAlive = conn.KeepAlive
	switch {
	case codings > 0 && lengths > 0:
		return malformed("both Content-Length and Transfer-Encoding: the body's end is ambiguous")
	case codings > 1 || lengths > 1:
		return malformed("Transfer-Encoding or Content-Length given more than once")
	case codings == 1 && r.Minor == 0:
		return malformed("Transfer-Encoding in an HTTP/1.0 response")
	case (codings > 0 || lengths > 0) && (r.Status < 200 || r.Status == 204):
		return malformed("a %d answer with a Content-Length or Transfer-Encoding (RFC 9110 8.6, 6.1)", r.Status)
	}
	if lengths == 1 {
		n, ok := parseLength(length)
		if !ok {
			return malformed("Content-Length %q: want digits only", clip(length))
		}
		r.ContentLength = n
	}
	switch {
	case bytes.Equal(method, []byte("HEAD")) || r.Status < 200 || r.Status == 204 || r.Status == 304:
		r.Body, r.ContentLength = BodyNone, 0
	case codings == 1:
		r.Body, r.ContentLength = BodyChunked, -1
	case lengths == 1:
		r.Body = BodyLength
	default:
		r.Body, r.ContentLength, r.KeepAlive = BodyUntilClose, -1, false
	}
	return nil
}
