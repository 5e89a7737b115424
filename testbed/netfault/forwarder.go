// Package netfault puts a TCP forwarder between one esdr process and one cluster node, so
// a test can break that single path — refuse it like a dead host, or blackhole it like a
// partition — while every other process still reaches the node. That is what tells a
// partitioned vantage point from a dead primary. It is a small in-process forwarder rather
// than toxiproxy to keep a server dependency out of the module.
package netfault

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// dialWithin bounds each connection to the target: a target that does not answer within
// it is treated as dead and the client's connection is reset.
const dialWithin = 5 * time.Second

// Mode is what a Forwarder does with the traffic it receives.
type Mode int

const (
	// Pass forwards bytes both ways, as if the forwarder were not there.
	Pass Mode = iota
	// Refuse resets every connection, new and existing: the client sees "connection reset
	// by peer", as from a host whose process died.
	Refuse
	// Blackhole accepts new connections and reads and discards what they send, never
	// answering; existing connections stop forwarding and stay open. The client sees a
	// hang that only its own timeouts end, as across a partition. (The TCP handshake
	// itself still succeeds: a client's connect timeout is not exercised.)
	Blackhole
	// Unauthorized answers every request 401 with Elasticsearch's security_exception,
	// as a node does whose security no longer accepts the caller's credentials (a
	// rotated password, a removed role); existing connections are reset. The node
	// serves everyone else: only this path is refused.
	Unauthorized
)

// String names the mode for test logs.
func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Refuse:
		return "refuse"
	case Blackhole:
		return "blackhole"
	case Unauthorized:
		return "unauthorized"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Forwarder listens on a loopback port and forwards each connection to its target, as its
// Mode says. Its methods are safe for concurrent use.
type Forwarder struct {
	target string
	ln     net.Listener
	ctx    context.Context // cancelled by Close, to end dials in progress
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the forwarder started

	latency atomic.Int64 // nanoseconds each chunk from the target is held back

	mu     sync.Mutex
	mode   Mode
	links  map[*link]struct{}
	closed bool
}

// Listen starts a forwarder in Pass mode on 127.0.0.1 (a free port) to target (host:port).
func Listen(target string) (*Forwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("netfault: listen for %s: %w", target, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Forwarder{target: target, ln: ln, ctx: ctx, cancel: cancel, links: map[*link]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	return f, nil
}

// Addr is the host:port clients dial instead of the target's.
func (f *Forwarder) Addr() string { return f.ln.Addr().String() }

// URL is "http://" + Addr, the form an esdr config lists nodes in.
func (f *Forwarder) URL() string { return "http://" + f.Addr() }

// Target is the host:port the forwarder forwards to.
func (f *Forwarder) Target() string { return f.target }

// Mode switches what the forwarder does. Leaving Pass cuts the existing connections at
// once (Refuse resets them; Blackhole closes their target side and silences them).
// Leaving Blackhole resets the connections it held, as a host does that has forgotten them
// when the partition heals. Bytes already read from the target may still be delivered.
func (f *Forwarder) Mode(m Mode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m == f.mode {
		return
	}
	f.mode = m
	for l := range f.links {
		f.cutLocked(l, m)
	}
}

// SetLatency holds back every chunk the target sends by d (0: none), on the connections
// open and to come: a slow node, or a slow network to it, that still answers.
func (f *Forwarder) SetLatency(d time.Duration) { f.latency.Store(int64(d)) }

// Close stops listening, resets every connection and waits for all the goroutines the
// forwarder started. Closing again does nothing.
func (f *Forwarder) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	for l := range f.links {
		f.dropLocked(l)
	}
	f.mu.Unlock()
	f.cancel()
	err := f.ln.Close()
	f.wg.Wait()
	if err != nil {
		return fmt.Errorf("netfault: close %s: %w", f.Addr(), err)
	}
	return nil
}

// accept takes connections until the listener closes.
func (f *Forwarder) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return // closed by Close; a loopback listener fails no other way worth retrying
		}
		f.mu.Lock()
		mode := f.mode
		f.mu.Unlock()
		if mode == Refuse {
			reset(c)
			continue
		}
		f.wg.Add(1)
		if mode == Unauthorized {
			go f.deny(c.(*net.TCPConn))
			continue
		}
		go f.serve(c.(*net.TCPConn), mode)
	}
}

// serve dials the target for a connection accepted in Pass mode (none in Blackhole), then
// registers the link under the mode in force by then and runs its loops.
func (f *Forwarder) serve(c *net.TCPConn, mode Mode) {
	defer f.wg.Done()
	var up *net.TCPConn
	if mode == Pass {
		d := net.Dialer{Timeout: dialWithin}
		conn, err := d.DialContext(f.ctx, "tcp", f.target)
		if err != nil {
			reset(c) // a dead target looks dead through the forwarder too
			return
		}
		up = conn.(*net.TCPConn)
	}
	l := &link{client: c, up: up}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		closeBoth(l)
		return
	}
	f.links[l] = struct{}{}
	if f.mode != Pass || up == nil {
		f.cutLocked(l, f.mode) // the mode changed while dialing, or was Blackhole
	}
	if !l.gone && !l.held {
		l.open++
		f.wg.Add(1)
		go f.fromTarget(l)
	}
	l.open++
	f.mu.Unlock()
	f.fromClient(l)
}
