package proxy

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// deadliner is what net/http's ResponseWriter offers (http.ResponseController calls the
// same methods): deadlines on the request's connection.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// paced wraps the handler net/http's server calls with the client-side timeouts of
// pace.go, which http.Server cannot express: a deadline set before each read of the body
// and each write of the answer, on the connection itself.
type paced struct {
	h        http.Handler
	cfg      Config
	timedOut func(what string)
}

func (s *paced) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dl, ok := w.(deadliner)
	if !ok { // not net/http's own writer: nothing to set deadlines on
		s.h.ServeHTTP(w, r)
		return
	}
	// The connection keeps the previous request's write deadline; an answer is only
	// bounded once it is being written (the node may take upstream_timeout to answer).
	_ = dl.SetWriteDeadline(time.Time{})
	x := &pacedExchange{w: w, dl: dl, s: s}
	if r.Body != nil && r.Body != http.NoBody {
		x.body = pacedBody{src: r.Body, dl: dl, pace: newBodyPace(s.cfg), s: s}
		r.Body = &x.body
	}
	s.h.ServeHTTP(x, r)
	if x.body.unfinished() {
		// net/http reads up to 256 KiB of a body the handler left, to keep the
		// connection: under the same bound as any read of it.
		_ = dl.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	}
	if !x.wrote && x.body.stalled() {
		e := stallError(s.cfg)
		x.Header().Set("Connection", "close")
		e.write(x, r, "", 0)
	}
	// net/http flushes what is buffered after the handler returned: bound that too.
	_ = dl.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
}

// pacedExchange is the ResponseWriter the handler sees: each write may wait
// write_timeout for the client. One allocation per request, the body's reader included.
type pacedExchange struct {
	w       http.ResponseWriter
	dl      deadliner
	s       *paced
	wrote   bool // the answer was started: a stalled body gets no 408 then
	counted bool
	body    pacedBody
}

func (x *pacedExchange) Header() http.Header { return x.w.Header() }

func (x *pacedExchange) WriteHeader(code int) {
	if code >= 200 {
		x.wrote = true
	}
	x.w.WriteHeader(code)
}

func (x *pacedExchange) Write(p []byte) (int, error) {
	x.wrote = true
	_ = x.dl.SetWriteDeadline(time.Now().Add(x.s.cfg.WriteTimeout))
	n, err := x.w.Write(p)
	x.check(err)
	return n, err
}

// FlushError sends what is buffered, as http.ResponseController prefers.
func (x *pacedExchange) FlushError() error {
	x.wrote = true
	_ = x.dl.SetWriteDeadline(time.Now().Add(x.s.cfg.WriteTimeout))
	var err error
	switch f := x.w.(type) {
	case interface{ FlushError() error }:
		err = f.FlushError()
	case http.Flusher:
		f.Flush()
	}
	x.check(err)
	return err
}

// Flush is FlushError without its error.
func (x *pacedExchange) Flush() { _ = x.FlushError() }

// Unwrap lets http.ResponseController reach net/http's writer.
func (x *pacedExchange) Unwrap() http.ResponseWriter { return x.w }

func (x *pacedExchange) check(err error) {
	if err != nil && !x.counted && deadlineHit(err) {
		x.counted = true
		x.s.timedOut(timeoutAnswer)
	}
}

// pacedBody is the request body with a deadline before each read. Reads may come from
// the upstream client's goroutine and still be in flight when the handler returns, so
// they are serialized, and stalled waits for one in flight.
type pacedBody struct {
	src  io.ReadCloser
	dl   deadliner
	s    *paced
	mu   sync.Mutex
	pace bodyPace
	// timedOut: a read failed on its deadline. net/http has then ended the request's
	// context (as for any failed read of the connection), so the attempts stop.
	timedOut bool
	ended    bool // read to its end, or failed
}

func (b *pacedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := time.Now()
	_ = b.dl.SetReadDeadline(b.pace.deadline(start))
	n, err := b.src.Read(p)
	b.pace.account(start, time.Now(), n)
	if err != nil && !b.timedOut && deadlineHit(err) {
		b.timedOut = true
		b.s.timedOut(timeoutBody)
	}
	if err != nil {
		b.ended = true
	}
	if err == io.EOF {
		// net/http's background read, which watches for the client going away while
		// the node answers, starts now and must not inherit the deadline. After a
		// failure the deadline stays: net/http's drain of the rest then fails at once
		// instead of waiting for a client that stalled.
		_ = b.dl.SetReadDeadline(time.Time{})
	}
	return n, err
}

// unfinished reports a body neither read to its end nor failed, with no read in
// flight (one in flight has its deadline already).
func (b *pacedBody) unfinished() bool {
	if b.src == nil || !b.mu.TryLock() {
		return false
	}
	defer b.mu.Unlock()
	return !b.ended
}

func (b *pacedBody) Close() error { return b.src.Close() }

// stalled reports whether a read of the body timed out, or the body fell below the
// rate (its last bytes may have come from the buffer, and net/http's background read
// then fails on the deadline in the past). A read in flight is waited for: it ends
// within body_timeout, and at once when the connection already failed.
func (b *pacedBody) stalled() bool {
	if b.src == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.timedOut || b.pace.slow
}
