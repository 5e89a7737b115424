package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
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
//   - The data path's deadlines (ReadBound, ReadWithin, WriteWithin) are armed only when
//     an operation has to wait: the runtime's timer is touched, and the clock read for a
//     relative bound, when a read finds nothing (about one request in two under load)
//     instead of several times per request. Until then the last armed deadline stays;
//     when it passes before a read that has data, the read arms the bound and tries
//     again. A deadline set with SetReadDeadline, SetWriteDeadline or SetDeadline is
//     armed at once — an interrupt from another goroutine — and the latest set wins,
//     whichever kind.
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

	dl   sync.Mutex // the bounds
	r, w bound
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
	if err != nil && deadlineHit(err) && s.arm(&s.r, s.tc.SetReadDeadline) {
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
			s.arm(&s.r, s.tc.SetReadDeadline)
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
	if err != nil && deadlineHit(err) && s.arm(&s.w, s.tc.SetWriteDeadline) {
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
			s.arm(&s.w, s.tc.SetWriteDeadline)
			return false
		case e != 0:
			s.werr = s.sysError("write", e)
			return true
		}
		s.wn += n
	}
	return true
}

func (s *rawSock) Close() error                          { return s.tc.Close() }
func (s *rawSock) CloseWrite() error                     { return s.tc.CloseWrite() }
func (s *rawSock) LocalAddr() net.Addr                   { return s.tc.LocalAddr() }
func (s *rawSock) RemoteAddr() net.Addr                  { return s.tc.RemoteAddr() }
func (s *rawSock) SyscallConn() (syscall.RawConn, error) { return sockRaw{s}, nil }

func (s *rawSock) sysError(op string, e syscall.Errno) error {
	return opError(op, os.NewSyscallError(op, e))
}

// sockRaw is the socket's RawConn for callers of their own (a liveness peek, the client
// watch): the wanted deadline is armed before their function may wait.
type sockRaw struct{ s *rawSock }

func (r sockRaw) Control(f func(fd uintptr)) error { return r.s.rc.Control(f) }

func (r sockRaw) Read(f func(fd uintptr) bool) error {
	r.s.arm(&r.s.r, r.s.tc.SetReadDeadline)
	return r.s.rc.Read(f)
}

func (r sockRaw) Write(f func(fd uintptr) bool) error {
	r.s.arm(&r.s.w, r.s.tc.SetWriteDeadline)
	return r.s.rc.Write(f)
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
