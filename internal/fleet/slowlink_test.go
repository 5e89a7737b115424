package fleet

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowLink is a TCP path to target that can be made slow, then cut. Once slow, what the
// target sends arrives delay late; once cut, nothing more reaches the target, while its
// answers already on their way are still delivered, late. That is how a leader learns
// of its lease's expiry as late as its path allows: its last keep-alive answer arrives
// delay after etcd renewed the lease, so its own deadline passes delay after etcd's.
type slowLink struct {
	target string
	ln     net.Listener
	delay  atomic.Int64 // nanoseconds
	late   atomic.Int64 // chunks queued with a delay
	cut    atomic.Bool
	done   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newSlowLink(t *testing.T, target string) *slowLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &slowLink{target: target, ln: ln, done: make(chan struct{})}
	l.wg.Add(1)
	go l.accept()
	t.Cleanup(l.close)
	return l
}

// URL is what a client dials instead of the target.
func (l *slowLink) URL() string { return "http://" + l.ln.Addr().String() }

// Slow delays what the target sends from now on by d.
func (l *slowLink) Slow(d time.Duration) { l.delay.Store(int64(d)) }

// Late is how many chunks from the target were delayed so far.
func (l *slowLink) Late() int64 { return l.late.Load() }

// Cut partitions the path towards the target (see slowLink).
func (l *slowLink) Cut() { l.cut.Store(true) }

func (l *slowLink) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", l.target)
		if err != nil {
			c.Close()
			continue
		}
		l.mu.Lock()
		l.conns = append(l.conns, c, s)
		l.mu.Unlock()
		late := make(chan chunk, 1024)
		l.wg.Add(3)
		go l.pipe(c, func(b []byte) {
			if !l.cut.Load() {
				_, _ = s.Write(b)
			}
		})
		go l.pipe(s, func(b []byte) {
			d := time.Duration(l.delay.Load())
			if d > 0 {
				l.late.Add(1)
			}
			select {
			case late <- chunk{due: time.Now().Add(d), b: b}:
			case <-l.done:
			}
		})
		go l.deliver(c, late)
	}
}

type chunk struct {
	due time.Time
	b   []byte
}

// pipe reads from src until it closes and hands what it read to send.
func (l *slowLink) pipe(src net.Conn, send func([]byte)) {
	defer l.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			send(append([]byte(nil), buf[:n]...))
		}
		if err != nil {
			return
		}
	}
}

// deliver writes each chunk to dst when it is due, until the link closes.
func (l *slowLink) deliver(dst net.Conn, late chan chunk) {
	defer l.wg.Done()
	for {
		select {
		case <-l.done:
			return
		case ch := <-late:
			t := time.NewTimer(time.Until(ch.due))
			select {
			case <-l.done:
				t.Stop()
				return
			case <-t.C:
			}
			_, _ = dst.Write(ch.b)
		}
	}
}

func (l *slowLink) close() {
	close(l.done)
	_ = l.ln.Close()
	l.mu.Lock()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
