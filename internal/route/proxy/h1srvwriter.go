package proxy

import (
	"net/http"
	"strings"
)

// srvWriter is the http.ResponseWriter of the h1 server: the answer's head is written
// into the connection's buffer when committed, framed by the Content-Length the handler
// set, else chunked (HTTP/1.1) or until close (HTTP/1.0); the body goes through the same
// buffer, large writes straight to the connection. Flush (and http.ResponseController's
// Flush) sends what is buffered.
type srvWriter struct {
	c     *srvConn
	h     http.Header
	head  bool // the request was HEAD
	minor int
	keep  bool // the client and the server allow another request on the connection

	committed  bool // guarded by c.wmu against sendContinue
	noBody     bool
	chunked    bool
	closeAfter bool  // the connection closes once the answer is written
	cut        bool  // the answer broke off or is short of its length: close at once
	cl         int64 // the declared Content-Length, -1 when none
	written    int64
	err        error
}

func (w *srvWriter) reset(head bool, minor int, keep bool) {
	clear(w.h)
	c, h := w.c, w.h
	c.wmu.Lock()
	*w = srvWriter{c: c, h: h, head: head, minor: minor, keep: keep, cl: -1}
	c.wmu.Unlock()
}

func (w *srvWriter) Header() http.Header { return w.h }

// headerValues is n cleared slots for the answer's header values, the connection's own:
// the header that held the last ones was cleared by reset.
func (w *srvWriter) headerValues(n int) []string {
	c := w.c
	if cap(c.hvals) < n {
		c.hvals = make([]string, n)
	}
	v := c.hvals[:n]
	clear(v)
	return v
}

// WriteHeader commits the answer's head. 1xx codes are not passed on (the proxy never
// sends one: the upstream clients consume them).
func (w *srvWriter) WriteHeader(code int) {
	if w.committed || code < 200 || code > 999 {
		return
	}
	h := w.h
	w.noBody = w.head || code == http.StatusNoContent || code == http.StatusNotModified
	if v := h["Content-Length"]; len(v) == 1 {
		if n, ok := parseContentLength(v[0]); ok {
			w.cl = n
		}
	}
	if w.cl < 0 {
		delete(h, "Content-Length")
	}
	switch {
	case w.noBody, w.cl >= 0:
	case w.minor == 1:
		w.chunked = true
	default:
		w.closeAfter = true // HTTP/1.0 without a length: the close ends the body
	}
	if !w.keep || !w.c.body.done.Load() || hasClose(h["Connection"]) {
		w.closeAfter = true // an answer before the body was read closes after it
	}
	delete(h, "Connection")
	delete(h, "Transfer-Encoding")
	w.c.wmu.Lock()
	w.committed = true
	w.c.wmu.Unlock()

	bw := w.c.bw
	bw.WriteString("HTTP/1.1 ")
	writeNumber(bw, int64(code), 10)
	bw.WriteByte(' ')
	bw.WriteString(http.StatusText(code))
	bw.WriteString("\r\n")
	if _, ok := h["Date"]; !ok {
		bw.WriteString("Date: ")
		bw.WriteString(httpDate())
		bw.WriteString("\r\n")
	}
	for k, vv := range h {
		if !isFieldName(k) {
			continue
		}
		for _, v := range vv {
			bw.WriteString(k)
			bw.WriteString(": ")
			if strings.ContainsAny(v, "\r\n") {
				v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			}
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	if w.chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	switch {
	case w.closeAfter:
		bw.WriteString("Connection: close\r\n\r\n")
	case w.minor == 0:
		bw.WriteString("Connection: keep-alive\r\n\r\n")
	default:
		bw.WriteString("\r\n")
	}
}

func (w *srvWriter) Write(p []byte) (int, error) {
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.noBody {
		if w.head {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	var tooLong bool
	if w.cl >= 0 && w.written+int64(len(p)) > w.cl {
		p, tooLong = p[:w.cl-w.written], true
	}
	if len(p) == 0 && !tooLong {
		return 0, nil
	}
	bw := w.c.bw
	if w.chunked {
		writeNumber(bw, int64(len(p)), 16)
		bw.WriteString("\r\n")
	}
	n, err := bw.Write(p)
	w.written += int64(n)
	if w.chunked && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	if err != nil {
		w.err, w.cut = err, true
		return n, err
	}
	if tooLong {
		return n, http.ErrContentLength
	}
	return n, nil
}

// Flush sends what is buffered to the client.
func (w *srvWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush with its error, as http.ResponseController prefers.
func (w *srvWriter) FlushError() error {
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if err := w.c.bw.Flush(); err != nil {
		w.err, w.cut = err, true
	}
	return w.err
}

// end completes the answer: the last chunk, the buffer flushed. An answer shorter than
// its Content-Length is cut: the connection must close.
func (w *srvWriter) end() error {
	if w.err != nil {
		return w.err
	}
	if w.chunked {
		w.c.bw.WriteString("0\r\n\r\n")
	}
	if !w.noBody && w.cl >= 0 && w.written < w.cl {
		w.cut = true
	}
	if err := w.c.bw.Flush(); err != nil {
		w.err, w.cut = err, true
	}
	return w.err
}

// sendContinue answers a 100-continue when the body is first read, unless the answer
// has started.
func (w *srvWriter) sendContinue() error {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	if w.committed {
		return nil
	}
	w.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return w.c.bw.Flush()
}
