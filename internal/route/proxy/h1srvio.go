package proxy

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// deadlineWriter is what the connection's buffer writes to: each write may wait at
// most write_timeout for a client that reads nothing (pace.go). The buffer keeps its
// first error, so a connection counts at most one timeout.
type deadlineWriter struct{ c *srvConn }

func (d deadlineWriter) Write(p []byte) (int, error) {
	d.c.bounds.WriteWithin(d.c.s.cfg.WriteTimeout)
	n, err := d.c.nc.Write(p)
	if err != nil && deadlineHit(err) {
		d.c.s.timedOut(timeoutAnswer)
	}
	return n, err
}

func parseContentLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

func hasClose(vv []string) bool {
	for _, v := range vv {
		for opt := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(opt), "close") {
				return true
			}
		}
	}
	return false
}

// isFieldName reports whether k is a token, as a field name must be.
func isFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// cachedDate is the Date header's value for one second.
type cachedDate struct {
	sec int64
	s   string
}

var dateCache atomic.Pointer[cachedDate]

func httpDate() string {
	now := time.Now()
	if d := dateCache.Load(); d != nil && d.sec == now.Unix() {
		return d.s
	}
	d := &cachedDate{sec: now.Unix(), s: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.s
}

// grow moves the connection to a reader that holds max_header_bytes, keeping what was
// buffered; false when the reader is that large already.
func (c *srvConn) grow() bool {
	if c.br.Size() >= c.s.cfg.MaxHeaderBytes {
		return false
	}
	kept, _ := c.br.Peek(c.br.Buffered())
	pre := &prefixReader{pre: append([]byte(nil), kept...), r: c.nc}
	if c.pooled {
		c.br.Reset(nil)
		srvReaders.Put(c.br)
	}
	c.br, c.pooled = bufio.NewReaderSize(pre, c.s.cfg.MaxHeaderBytes), false
	return true
}

// prefixReader reads pre, then r.
type prefixReader struct {
	pre []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// writeNumber writes n (not negative) in base 10 or 16 byte by byte: a buffer handed to
// bw.Write would escape, one allocation per answer.
func writeNumber(bw *bufio.Writer, n int64, base int64) {
	var digits [20]byte
	i := len(digits)
	for {
		i--
		digits[i] = "0123456789abcdef"[n%base]
		if n /= base; n == 0 {
			break
		}
	}
	for _, d := range digits[i:] {
		_ = bw.WriteByte(d)
	}
}
