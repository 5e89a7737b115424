package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// server is what Serve runs: net/http's *http.Server, or h1Server (proxy.server: h1).
type server interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
	Close() error
}

// h1Server is the proxy's own server loop (proxy.server: h1): one goroutine per client
// connection reading requests with the strict h1 parser, one request at a time, the
// next read only after the answer was written whole. Each request is handed to the same
// http.Handler net/http's server calls (the proxy, or mirror mode around it) as an
// *http.Request and http.ResponseWriter that live as long as the connection: a request
// costs one allocation here, its head as a string (h1srvrequest.go).
//
// It takes any net.Listener (a TLS listener included: the handshake runs on the first
// read, under the read-header timeout).
type h1Server struct {
	h       http.Handler
	cfg     Config
	lim     h1.Limits
	log     *slog.Logger
	opened  func()           // a connection was accepted
	closed  func()           // a connection was closed: its place under the cap is free
	refused func(status int) // a request was refused before the handler (400, 431, 501)
	// timedOut: a client stopped sending its body or reading its answer (pace.go).
	timedOut func(what string)

	mu      sync.Mutex
	lns     map[net.Listener]struct{}
	conns   map[*srvConn]struct{}
	closing atomic.Bool
}

func newH1Server(h http.Handler, cfg Config, log *slog.Logger, opened, closed func(), refused func(int),
	timedOut func(string)) *h1Server {
	return &h1Server{h: h, cfg: cfg, lim: h1.Limits{MaxHeadBytes: cfg.MaxHeaderBytes}, log: log,
		opened: opened, closed: closed, refused: refused, timedOut: timedOut,
		lns: map[net.Listener]struct{}{}, conns: map[*srvConn]struct{}{}}
}

// Serve accepts connections on ln until Shutdown or Close, then returns
// http.ErrServerClosed, as net/http's Serve does.
func (s *h1Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if !transientAccept(err) {
				return fmt.Errorf("proxy: accept: %w", err)
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("proxy: accept failed, retrying", "err", err, "in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			nc = newRawSock(tc)
		}
		c := s.track(nc)
		if c == nil {
			_ = nc.Close()
			s.closed()
			continue
		}
		go c.serve()
	}
}

// transientAccept reports an accept error worth waiting out: out of descriptors or
// memory, or a connection reset before it was accepted.
func transientAccept(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// track registers a new connection; nil once the server is closing.
func (s *h1Server) track(nc net.Conn) *srvConn {
	s.opened()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil
	}
	c := newSrvConn(s, nc)
	s.conns[c] = struct{}{}
	return c
}

func (s *h1Server) untrack(c *srvConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.closed()
}

// Shutdown stops accepting, closes idle connections, lets each active one finish its
// request (its answer then says Connection: close), and returns once none is left, or
// ctx's error when ctx ends first (Close then cuts the rest).
func (s *h1Server) Shutdown(ctx context.Context) error {
	s.stopListening()
	wait := time.Millisecond
	for {
		if s.closeIdle() == 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// Close stops accepting and closes every connection, active or not.
func (s *h1Server) Close() error {
	s.stopListening()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.state.Store(stateClosed)
		_ = c.nc.Close()
	}
	return nil
}

func (s *h1Server) stopListening() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for ln := range s.lns {
		_ = ln.Close()
	}
}

// closeIdle closes the connections waiting for a request and returns how many are left.
func (s *h1Server) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			_ = c.nc.Close()
		}
	}
	return len(s.conns)
}
