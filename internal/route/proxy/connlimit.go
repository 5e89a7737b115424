package proxy

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// fdReserve is how many file descriptors the derived connection cap leaves to the rest
// of esdr: its probes (a few sockets per node per probe), the admin API, etcd, the state
// file, the mirror journal, and the refusals being answered. Client load must not take
// them: running out makes every probe fail with EMFILE, and esdr would be blind to the
// clusters it guards.
const fdReserve = 256

// unknownLimitCap is the cap when the file limit cannot be read.
const unknownLimitCap = 10000

// minDerivedCap is the least the derived cap allows, so a tiny file limit still serves.
const minDerivedCap = 16

// derivedMaxConnections is the connection cap for a soft file limit: each client
// connection can hold two descriptors (its own and one to a node), after the reserve.
// An unknown limit (0) gives unknownLimitCap.
func derivedMaxConnections(nofile uint64) int {
	if nofile == 0 {
		return unknownLimitCap
	}
	if nofile <= fdReserve+2*minDerivedCap {
		return minDerivedCap
	}
	return int(min((nofile-fdReserve)/2, 1<<20))
}

// fileLimit is the process's soft RLIMIT_NOFILE (Go raises it to the hard limit at
// start), or 0 when it cannot be read.
func fileLimit() uint64 {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return l.Cur
}

// busyAnswer is what a client past the cap gets before its connection is closed: a
// complete HTTP/1.1 answer, so that clients retry instead of reporting a reset.
var busyAnswer = func() []byte {
	body := `{"error":{"type":"esdr_too_many_connections","reason":"esdr's proxy is at proxy.max_connections; retry"},"status":503}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n" +
		"Connection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// busyWriteTimeout bounds a refusal, its write and its wait for the client's close: a
// client past the cap gets no more of esdr's time than that. Over TLS the refusal needs
// a handshake first (a round trip and a signature), so it gets busyTLSTimeout.
const (
	busyWriteTimeout = 50 * time.Millisecond
	busyTLSTimeout   = time.Second
)

// capListener accepts at most max connections at once. A connection past the cap is
// answered 503 with Retry-After and closed, never queued (x/net's netutil.LimitListener
// queues, and a queued connection holds its descriptor all the same). The server gives
// each place back through release, from its ConnState hook, so the connections it serves
// stay the listener's own *net.TCPConn with every fast path and half-close net/http uses.
type capListener struct {
	net.Listener
	max      int64
	open     atomic.Int64
	refused  func()
	refusing chan struct{} // refusals being answered: a flood must not spend the reserve on answers
	// tls, when the proxy serves HTTPS, is what a refusal is answered over: a client
	// that gets plain bytes where it expects a handshake reports a TLS error, not 503.
	tls *tls.Config
}

func newCapListener(ln net.Listener, max int, refused func()) *capListener {
	return &capListener{Listener: ln, max: int64(max), refused: refused, refusing: make(chan struct{}, maxRefusing)}
}

// maxRefusing bounds the refusals answered at once, each holding a descriptor for up to
// busyWriteTimeout; past it a refused connection is closed without an answer.
const maxRefusing = 64

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return c, nil
		}
		l.open.Add(-1)
		if l.refused != nil {
			l.refused()
		}
		select {
		case l.refusing <- struct{}{}:
			go func() { refuse(c, l.tls); <-l.refusing }()
		default:
			_ = c.Close()
		}
	}
}

// release gives back the place of a connection the server has closed or handed off.
func (l *capListener) release() { l.open.Add(-1) }

// refuse answers busyAnswer and closes, over TLS with tc when set. It sends a FIN after
// the answer and reads what the client had sent, briefly, before closing: closing with
// unread bytes would send a reset, which can destroy the answer before the client reads
// it.
func refuse(c net.Conn, tc *tls.Config) {
	var w net.Conn = c
	if tc == nil {
		_ = c.SetDeadline(time.Now().Add(busyWriteTimeout))
	} else {
		_ = c.SetDeadline(time.Now().Add(busyTLSTimeout))
		s := tls.Server(c, tc)
		if s.Handshake() != nil {
			_ = c.Close()
			return
		}
		w = s
	}
	_, _ = w.Write(busyAnswer)
	if s, ok := w.(*tls.Conn); ok {
		_ = s.CloseWrite() // close_notify; the TCP side is left to the caller
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(w, 64<<10))
	_ = c.Close()
}
