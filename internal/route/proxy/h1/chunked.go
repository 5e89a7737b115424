package h1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrBadChunk is returned (wrapped) for a chunked body that is not well formed: the
// connection is then dropped, never reused.
var ErrBadChunk = errors.New("h1: malformed chunked body")

// maxChunkLine bounds a chunk-size line with its extensions, and a trailer field line.
const maxChunkLine = 4 << 10

// ChunkedReader decodes a chunked body (RFC 9112 7.1) from r, strictly: a size of hex
// digits only, extensions only after a ';', CRLF line ends (a bare LF or CR is refused),
// the CRLF after each chunk's data, and the trailer section's fields under the same rules
// as header fields. It stops right after the body's last CRLF, so that r is positioned
// at the next message. Trailer fields are read and dropped.
type ChunkedReader struct {
	r    *bufio.Reader
	left int64 // bytes of the current chunk still to read
	done bool
	err  error
}

// NewChunkedReader decodes the chunked body at r's position.
func NewChunkedReader(r *bufio.Reader) *ChunkedReader { return &ChunkedReader{r: r} }

func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for c.left == 0 && !c.done {
		if c.err = c.next(); c.err != nil {
			return 0, c.err
		}
	}
	if c.done {
		c.err = io.EOF
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && c.left == 0 {
		err = c.crlf()
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// next reads a chunk-size line; a size of 0 reads the trailer section and ends the body.
func (c *ChunkedReader) next() error {
	line, err := c.line()
	if err != nil {
		return err
	}
	// Whitespace ends the line, not the size: "5 ;ext" is refused, as net/http refuses it
	// (RFC 9112 allows it before ';', but a proxy must not read what the node may not).
	line = bytes.TrimRight(line, " \t")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i] // extensions are ignored, but they were checked for bare CR/LF
	}
	if len(line) == 0 || len(line) > 15 {
		return fmt.Errorf("%w: chunk size %q", ErrBadChunk, clip(line))
	}
	var n int64
	for _, d := range line {
		switch {
		case '0' <= d && d <= '9':
			n = n<<4 | int64(d-'0')
		case 'a' <= d && d <= 'f':
			n = n<<4 | int64(d-'a'+10)
		case 'A' <= d && d <= 'F':
			n = n<<4 | int64(d-'A'+10)
		default:
			return fmt.Errorf("%w: chunk size %q is not hex", ErrBadChunk, clip(line))
		}
	}
	if n > 0 {
		c.left = n
		return nil
	}
	for { // the trailer section, up to its empty line
		line, err := c.line()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			c.done = true
			return nil
		}
		var q Request
		if err := q.addField(line); err != nil {
			return fmt.Errorf("%w: trailer: %v", ErrBadChunk, err)
		}
	}
}

// line reads one CRLF-ended line (without the CRLF), refusing a bare CR or LF in it.
func (c *ChunkedReader) line() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > maxChunkLine:
		return nil, fmt.Errorf("%w: a line longer than %d bytes", ErrBadChunk, maxChunkLine)
	case err == io.EOF:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, fmt.Errorf("%w: a line ended by a bare LF", ErrBadChunk)
	}
	line = line[:len(line)-2]
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, fmt.Errorf("%w: a bare CR", ErrBadChunk)
	}
	return line, nil
}

// crlf reads the CRLF that ends a chunk's data.
func (c *ChunkedReader) crlf() error {
	var b [2]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if b != [2]byte{'\r', '\n'} {
		return fmt.Errorf("%w: chunk data not followed by CRLF", ErrBadChunk)
	}
	return nil
}

// Reset makes c decode a new chunked body at r's position, reusing c.
func (c *ChunkedReader) Reset(r *bufio.Reader) { *c = ChunkedReader{r: r} }
