package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// rawSock is a plaintext TCP connection of the h1 data path, for two costs of
// net.TCPConn that a proxy pays on every request:
//
//   - Reads and writes are system calls the runtime does not hear of (sysRead, sysWrite):
//     a socket is non-blocking, so the call never waits in the kernel, yet a loopback
//     write does the receiver's work inside it and the thread is often preempted there.
//     The scheduler's monitor then hands the P to another thread and wakes every 20 µs
//     to look; measured under wrk, 25 times fewer of its wake-ups and 2.4 times fewer
//     futex calls (docs/benchmarks.md).
//   - A deadline set with ReadBound or WriteBound is armed only when an operation has
//     to wait: the runtime's timer is touched when a read finds nothing (about one
//     request in two under load) instead of two or three times per request. Until then
//     the last armed deadline stays; when it passes before a read that has data, the
//     read arms the bound and tries again. A deadline set with SetReadDeadline,
//     SetWriteDeadline or SetDeadline is armed at once — an interrupt from another
//     goroutine — and the latest set wins, whichever kind.
type rawSock struct {
	tc    *net.TCPConn
	rc    syscall.RawConn
	read  func(fd uintptr) bool // made once: a method value allocates
	write func(fd uintptr) bool

	rmu  sync.Mutex // the read in progress
	rp   []byte
	rn   int
	rerr error
	wmu  sync.Mutex // the write in progress
	wp   []byte
	wn   int
	werr error

	dl sync.Mutex // the deadlines, as unix nanoseconds (0: none)
	rWant, rArmed,
	wWant, wArmed int64
}

// newRawSock wraps tc; tc itself when its descriptor cannot be reached.
func newRawSock(tc *net.TCPConn) net.Conn {
	rc, err := tc.SyscallConn()
	if err != nil {
		return tc
	}
	s := &rawSock{tc: tc, rc: rc}
	s.read, s.write = s.doRead, s.doWrite
	return s
}

func (s *rawSock) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.rp, s.rn, s.rerr = p, 0, nil
	err := s.rc.Read(s.read)
	if err != nil && deadlineHit(err) && s.arm(&s.rWant, &s.rArmed, s.tc.SetReadDeadline) {
		err = s.rc.Read(s.read) // a stale deadline had passed, not the bound
	}
	s.rp = nil
	if err != nil {
		return 0, opError("read", err)
	}
	return s.rn, s.rerr
}

func (s *rawSock) doRead(fd uintptr) bool {
	for {
		n, e := sysRead(fd, s.rp)
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			s.arm(&s.rWant, &s.rArmed, s.tc.SetReadDeadline)
			return false
		case e != 0:
			s.rerr = s.sysError("read", e)
		case n == 0:
			s.rerr = io.EOF
		default:
			s.rn = n
		}
		return true
	}
}

func (s *rawSock) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.wp, s.wn, s.werr = p, 0, nil
	err := s.rc.Write(s.write)
	if err != nil && deadlineHit(err) && s.arm(&s.wWant, &s.wArmed, s.tc.SetWriteDeadline) {
		err = s.rc.Write(s.write)
	}
	s.wp = nil
	if err != nil {
		return s.wn, opError("write", err)
	}
	return s.wn, s.werr
}

func (s *rawSock) doWrite(fd uintptr) bool {
	for s.wn < len(s.wp) {
		n, e := sysWrite(fd, s.wp[s.wn:])
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			s.arm(&s.wWant, &s.wArmed, s.tc.SetWriteDeadline)
			return false
		case e != 0:
			s.werr = s.sysError("write", e)
			return true
		}
		s.wn += n
	}
	return true
}

// arm sets the wanted deadline on the socket when another is armed; it reports whether
// it did.
func (s *rawSock) arm(want, armed *int64, set func(time.Time) error) bool {
	s.dl.Lock()
	defer s.dl.Unlock()
	if *armed == *want {
		return false
	}
	_ = set(fromNanos(*want))
	*armed = *want
	return true
}

// ReadBound bounds the reads that have to wait, from now on, by t (zero: no bound).
func (s *rawSock) ReadBound(t time.Time) {
	s.dl.Lock()
	s.rWant = toNanos(t)
	s.dl.Unlock()
}

// WriteBound bounds the writes that have to wait, from now on, by t (zero: no bound).
func (s *rawSock) WriteBound(t time.Time) {
	s.dl.Lock()
	s.wWant = toNanos(t)
	s.dl.Unlock()
}

func (s *rawSock) SetReadDeadline(t time.Time) error {
	s.dl.Lock()
	defer s.dl.Unlock()
	s.rWant, s.rArmed = toNanos(t), toNanos(t)
	return s.tc.SetReadDeadline(t)
}

func (s *rawSock) SetWriteDeadline(t time.Time) error {
	s.dl.Lock()
	defer s.dl.Unlock()
	s.wWant, s.wArmed = toNanos(t), toNanos(t)
	return s.tc.SetWriteDeadline(t)
}

func (s *rawSock) SetDeadline(t time.Time) error {
	s.dl.Lock()
	defer s.dl.Unlock()
	s.rWant, s.rArmed, s.wWant, s.wArmed = toNanos(t), toNanos(t), toNanos(t), toNanos(t)
	return s.tc.SetDeadline(t)
}

func (s *rawSock) Close() error                          { return s.tc.Close() }
func (s *rawSock) CloseWrite() error                     { return s.tc.CloseWrite() }
func (s *rawSock) LocalAddr() net.Addr                   { return s.tc.LocalAddr() }
func (s *rawSock) RemoteAddr() net.Addr                  { return s.tc.RemoteAddr() }
func (s *rawSock) SyscallConn() (syscall.RawConn, error) { return sockRaw{s}, nil }

// sockRaw is the socket's RawConn for callers of their own (a liveness peek, the client
// watch): the wanted deadline is armed before their function may wait.
type sockRaw struct{ s *rawSock }

func (r sockRaw) Control(f func(fd uintptr)) error { return r.s.rc.Control(f) }

func (r sockRaw) Read(f func(fd uintptr) bool) error {
	r.s.arm(&r.s.rWant, &r.s.rArmed, r.s.tc.SetReadDeadline)
	return r.s.rc.Read(f)
}

func (r sockRaw) Write(f func(fd uintptr) bool) error {
	r.s.arm(&r.s.wWant, &r.s.wArmed, r.s.tc.SetWriteDeadline)
	return r.s.rc.Write(f)
}

// bounder bounds a connection's waiting reads and writes: lazily on a rawSock, at once
// on any other connection (eager).
type bounder interface {
	ReadBound(t time.Time)
	WriteBound(t time.Time)
}

// boundsOf is nc's bounder.
func boundsOf(nc net.Conn) bounder {
	if b, ok := nc.(bounder); ok {
		return b
	}
	return eager{nc}
}

type eager struct{ nc net.Conn }

func (e eager) ReadBound(t time.Time)  { _ = e.nc.SetReadDeadline(t) }
func (e eager) WriteBound(t time.Time) { _ = e.nc.SetWriteDeadline(t) }

func (s *rawSock) sysError(op string, e syscall.Errno) error {
	return opError(op, os.NewSyscallError(op, e))
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

// opError is the error net.TCPConn would give, with the cause out of the raw
// connection's own OpError ("raw-read").
func opError(op string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Err: err}
}
