package netfault

import (
	"errors"
	"io"
	"net"
	"time"
)

// link is one client connection and, while it passes traffic, its connection to the
// target. Its fields are guarded by the Forwarder's mu.
type link struct {
	client *net.TCPConn
	up     *net.TCPConn // nil when accepted in Blackhole
	held   bool         // blackholed: target side closed, client kept open and drained
	gone   bool         // both sides closed, removed from the forwarder
	open   int          // copy loops still running
}

// cutLocked applies mode m to l. A passing link is reset by Refuse and held by Blackhole;
// a held link is reset by any other mode: the far end has forgotten it.
func (f *Forwarder) cutLocked(l *link, m Mode) {
	switch {
	case l.gone || m == Pass && !l.held && l.up != nil:
	case m == Blackhole:
		if l.up != nil {
			_ = l.up.Close()
		}
		l.held = true
	default:
		f.dropLocked(l)
	}
}

// dropLocked resets the client, closes the target side and forgets l.
func (f *Forwarder) dropLocked(l *link) {
	if l.gone {
		return
	}
	l.gone = true
	reset(l.client)
	if l.up != nil {
		_ = l.up.Close()
	}
	delete(f.links, l)
}

// drop is dropLocked for the copy loops: a broken side breaks the other one too.
func (f *Forwarder) drop(l *link) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLocked(l)
}

// passing returns l's target connection while l forwards, nil once it is held or gone.
func (f *Forwarder) passing(l *link) *net.TCPConn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l.gone || l.held {
		return nil
	}
	return l.up
}

// exit ends one copy loop; the last one out closes a passing link gracefully (both sides
// have said EOF). A held link stays open until the mode changes or the forwarder closes.
func (f *Forwarder) exit(l *link) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l.open--
	if l.open > 0 || l.held || l.gone {
		return
	}
	l.gone = true
	_ = l.client.Close()
	_ = l.up.Close()
	delete(f.links, l)
}

// fromClient copies client to target while l passes, and drains the client while it is
// held. A client's EOF is passed on as a half-close, so request-then-wait clients work.
func (f *Forwarder) fromClient(l *link) {
	defer f.exit(l)
	buf := make([]byte, 32<<10)
	for {
		n, err := l.client.Read(buf)
		if n > 0 {
			if up := f.passing(l); up != nil {
				if _, werr := up.Write(buf[:n]); werr != nil && f.passing(l) != nil {
					f.drop(l) // the target broke, not a cut
					return
				}
			}
		}
		if errors.Is(err, io.EOF) {
			if up := f.passing(l); up != nil {
				_ = up.CloseWrite()
			}
			return
		}
		if err != nil {
			f.drop(l)
			return
		}
	}
}

// fromTarget copies target to client while l passes; it ends when l is cut.
func (f *Forwarder) fromTarget(l *link) {
	defer f.wg.Done()
	defer f.exit(l)
	buf := make([]byte, 32<<10)
	for {
		n, err := l.up.Read(buf)
		if d := time.Duration(f.latency.Load()); n > 0 && d > 0 {
			time.Sleep(d)
		}
		if n > 0 && f.passing(l) != nil {
			if _, werr := l.client.Write(buf[:n]); werr != nil {
				f.drop(l)
				return
			}
		}
		switch {
		case err == nil:
		case f.passing(l) == nil:
			return // cut by a mode change or Close
		case errors.Is(err, io.EOF):
			_ = l.client.CloseWrite()
			return
		default:
			f.drop(l) // the target reset: so does the client's side
			return
		}
	}
}

// reset closes c with an RST rather than a FIN (SO_LINGER 0), as a dead peer's kernel does.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// closeBoth resets a link that was never registered.
func closeBoth(l *link) {
	reset(l.client)
	if l.up != nil {
		_ = l.up.Close()
	}
}
