package h1

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"
)

// bufSize is each direction's buffer on a connection, and so the largest response head
// read from a node (HAProxy's default bufsize is the same).
const bufSize = 16 << 10

// Conn is one connection to a node, used by one request at a time: the request head is
// written straight into its buffer, the body streamed after it, and the answer read on
// the same goroutine — no hand-off per request. A Conn is reusable only once an answer
// was read whole and well framed and the node keeps the connection.
type Conn struct {
	nc      net.Conn
	counter countingWriter
	bw      *bufio.Writer
	br      *bufio.Reader
	resp    Response
	body    io.Reader    // the current answer's body, until read whole
	length  lengthReader // body's storage for a Content-Length answer
	bodyR   bodyReader   // what ReadResponse hands out, the same for every answer
	reuse   bool
	cut     bool                  // the current request was not sent whole: the connection is done
	scratch []byte                // request body reads, allocated at a Conn's first body
	sock    syscall.RawConn       // the TCP socket, under TLS too; nil when there is none
	plain   bool                  // no TLS: what the socket holds is the node's HTTP
	peekFn  func(fd uintptr) bool // peeks into peeked, made once per Conn
	peeked  PeekResult
}

// NewConn wraps nc, a connection just dialled (and TLS-handshaken where the node speaks
// https).
func NewConn(nc net.Conn) *Conn {
	c := &Conn{nc: nc}
	c.counter.w = nc
	c.bw = bufio.NewWriterSize(&c.counter, bufSize)
	c.br = bufio.NewReaderSize(nc, bufSize)
	under, plain := nc, true
	if tc, ok := nc.(*tls.Conn); ok {
		under, plain = tc.NetConn(), false
	}
	if sc, ok := under.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.sock, c.plain = rc, plain
			c.peekFn = func(fd uintptr) bool {
				c.peeked = PeekFD(fd)
				return true // never wait for readiness
			}
		}
	}
	return c
}

// countingWriter counts the bytes handed to the connection: a request of which not one
// byte was delivered may be sent again elsewhere, whatever it is.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Delivered reports whether any byte of the current request reached the connection.
func (c *Conn) Delivered() bool { return c.counter.n > 0 }

// NetConn is the connection, for deadlines and for closing it to abort an exchange.
func (c *Conn) NetConn() net.Conn { return c.nc }

// WriteRequest sends a request: its head, then length bytes of body (-1: the body is
// re-sent chunked until body's EOF; 0: none). fields must not carry Host,
// Content-Length, Transfer-Encoding or hop-by-hop fields: the caller removed them.
// A failure to read body is a *BodyError; ErrEarlyAnswer means the node answered before
// the body was sent whole (sendBody). After any error the Conn is never reused.
func (c *Conn) WriteRequest(method, target, host string, fields []Field, body io.Reader, length int64) error {
	c.counter.n, c.reuse, c.body, c.cut = 0, false, nil, false
	bw := c.bw
	bw.WriteString(method)
	bw.WriteByte(' ')
	bw.WriteString(target)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	for _, f := range fields {
		bw.Write(f.Name)
		bw.WriteString(": ")
		bw.Write(f.Value)
		bw.WriteString("\r\n")
	}
	switch {
	case length > 0:
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(length, 10))
		bw.WriteString("\r\n\r\n")
		return c.sendBody(body, length)
	case length < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		return c.sendBody(body, -1)
	}
	bw.WriteString("\r\n")
	return bw.Flush()
}

// ReadResponse reads the node's answer to a request with method: the head (skipping
// 1xx interim answers) into the Response it returns, and the body as a reader that ends
// where the answer does. The Response, its slices and the reader are valid until the
// next exchange.
func (c *Conn) ReadResponse(method string) (*Response, io.Reader, error) {
	for {
		if err := c.readHead(method); err != nil {
			return nil, nil, err
		}
		if c.resp.Status >= 200 || c.resp.Status == 101 {
			break
		}
		c.br.Discard(c.resp.HeadLen) // 100 Continue, 103 Early Hints
	}
	r := &c.resp
	c.br.Discard(r.HeadLen)
	switch r.Body {
	case BodyNone:
		c.body = eofReader{}
	case BodyLength:
		c.length = lengthReader{r: c.br, left: r.ContentLength}
		c.body = &c.length
	case BodyChunked:
		c.body = NewChunkedReader(c.br)
	case BodyUntilClose:
		c.body = c.br
	}
	c.bodyR.c = c
	return r, &c.bodyR, nil
}

// readHead waits until the buffer holds a whole head and parses it.
func (c *Conn) readHead(method string) error {
	want := 1
	for {
		if _, err := c.br.Peek(want); err != nil { // blocks until want bytes are buffered
			if err == io.EOF && c.br.Buffered() == 0 {
				return io.ErrUnexpectedEOF
			}
			if c.br.Buffered() < want {
				return err
			}
		}
		b, _ := c.br.Peek(c.br.Buffered())
		err := ParseResponse(b, []byte(method), Limits{MaxHeadBytes: bufSize}, &c.resp)
		if !errors.Is(err, ErrIncomplete) {
			return err
		}
		want = len(b) + 1
	}
}

// Reusable reports whether the last answer was read whole and the node keeps the
// connection: only then may it carry another request.
func (c *Conn) Reusable() bool { return c.reuse }

// Alive checks, before a reuse, that the node has not closed the idle connection: a
// peek that would block means alive; data or EOF means the connection is done. On a
// socket it is one non-blocking recv with MSG_PEEK; otherwise a read under a deadline.
// Under TLS the peek is at the TCP socket beneath: an idle connection that has carried
// an exchange has nothing to say, so a record there (a close_notify, most likely) ends
// it as surely as an EOF; at worst a connection is dialled anew.
func (c *Conn) Alive() bool {
	if c.br.Buffered() > 0 {
		return false // an idle connection has nothing to say
	}
	if c.sock != nil {
		return c.peek() == PeekEmpty
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(time.Microsecond))
	_, err := c.br.Peek(1)
	_ = c.nc.SetReadDeadline(time.Time{})
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }
