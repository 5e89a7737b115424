package proxy

import (
	"net"
	"time"
)

// bound is one direction's deadline: the one wanted, and the one armed on the socket.
type bound struct {
	want, armed int64         // unix nanoseconds, 0: none
	within      time.Duration // > 0: want is this long after the next wait, not yet fixed
}

// arm sets the wanted deadline on the socket when another is armed, fixing a relative
// bound from now; it reports whether it set one.
func (s *rawSock) arm(b *bound, set func(time.Time) error) bool {
	s.dl.Lock()
	defer s.dl.Unlock()
	if b.within > 0 {
		b.want, b.within = time.Now().Add(b.within).UnixNano(), 0
	}
	if b.armed == b.want {
		return false
	}
	_ = set(fromNanos(b.want))
	b.armed = b.want
	return true
}

// ReadBound bounds the reads that wait, from now on, by t (zero: no bound).
func (s *rawSock) ReadBound(t time.Time) {
	s.dl.Lock()
	s.r.want, s.r.within = toNanos(t), 0
	s.dl.Unlock()
}

// ReadWithin bounds the reads that wait, from now on, by d from the first of them
// (0: no bound).
func (s *rawSock) ReadWithin(d time.Duration) {
	s.dl.Lock()
	s.r.relative(d)
	s.dl.Unlock()
}

// WriteWithin bounds the writes that wait, from now on, by d from the first of them
// (0: no bound).
func (s *rawSock) WriteWithin(d time.Duration) {
	s.dl.Lock()
	s.w.relative(d)
	s.dl.Unlock()
}

func (s *rawSock) SetReadDeadline(t time.Time) error {
	s.dl.Lock()
	defer s.dl.Unlock()
	s.r.force(t)
	return s.tc.SetReadDeadline(t)
}

func (s *rawSock) SetWriteDeadline(t time.Time) error {
	s.dl.Lock()
	defer s.dl.Unlock()
	s.w.force(t)
	return s.tc.SetWriteDeadline(t)
}

func (s *rawSock) SetDeadline(t time.Time) error {
	s.dl.Lock()
	defer s.dl.Unlock()
	s.r.force(t)
	s.w.force(t)
	return s.tc.SetDeadline(t)
}

func (b *bound) force(t time.Time) { b.want, b.armed, b.within = toNanos(t), toNanos(t), 0 }

func (b *bound) relative(d time.Duration) {
	if d <= 0 {
		b.want, b.within = 0, 0
		return
	}
	b.within = d
}

// bounder bounds a connection's waiting reads and writes: lazily on a rawSock, at once
// on any other connection (eager).
type bounder interface {
	ReadBound(t time.Time)
	ReadWithin(d time.Duration)
	WriteWithin(d time.Duration)
}

// boundsOf is nc's bounder.
func boundsOf(nc net.Conn) bounder {
	if b, ok := nc.(bounder); ok {
		return b
	}
	return eager{nc}
}

type eager struct{ nc net.Conn }

func (e eager) ReadBound(t time.Time)       { _ = e.nc.SetReadDeadline(t) }
func (e eager) ReadWithin(d time.Duration)  { _ = e.nc.SetReadDeadline(after(d)) }
func (e eager) WriteWithin(d time.Duration) { _ = e.nc.SetWriteDeadline(after(d)) }

// after is d from now; zero (no deadline) for 0.
func after(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
