package proxy

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// rawPair is a rawSock and the plain peer it is connected to.
func rawPair(t *testing.T) (*rawSock, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	s, ok := newRawSock(c.(*net.TCPConn)).(*rawSock)
	if !ok {
		t.Fatal("not a rawSock")
	}
	t.Cleanup(func() { s.Close(); peer.Close() })
	return s, peer
}

func TestARawSocketReadsAndWritesAndSeesTheEnd(t *testing.T) {
	s, peer := rawPair(t)
	go func() {
		_, _ = peer.Write([]byte("hello"))
		buf := make([]byte, 5)
		_, _ = io.ReadFull(peer, buf)
		_, _ = peer.Write(buf)
		_ = peer.Close()
	}()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read %q, %v", buf, err)
	}
	if n, err := s.Write([]byte("world")); n != 5 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "world" {
		t.Fatalf("read back %q, %v", buf, err)
	}
	if n, err := s.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("after the peer's close: %d, %v, want io.EOF", n, err)
	}
}

func TestARawSocketsBoundTakesEffectOnlyWhenAReadWaits(t *testing.T) {
	s, peer := rawPair(t)
	buf := make([]byte, 8)

	// Nothing to read: the bound is armed and ends the wait.
	s.ReadBound(time.Now().Add(30 * time.Millisecond))
	if _, err := s.Read(buf); !deadlineHit(err) {
		t.Fatalf("a read past its bound: %v, want a deadline error", err)
	}

	// A later bound replaces the one that passed, though it was armed: the read that
	// finds data succeeds.
	s.ReadBound(time.Now().Add(time.Minute))
	if _, err := peer.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read with data after a stale deadline passed: %d, %v", n, err)
	}

	// A bound armed by an earlier wait, since passed (set here as the socket would hold
	// it): the next read with data is not refused for it.
	s.dl.Lock()
	s.r.armed = toNanos(time.Unix(1, 0))
	_ = s.tc.SetReadDeadline(time.Unix(1, 0))
	s.dl.Unlock()
	s.ReadBound(time.Now().Add(time.Minute))
	if _, err := peer.Write([]byte("z")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read with data after the armed deadline passed: %d, %v", n, err)
	}
}

// A relative bound is fixed at the first read that waits after it was given, not when
// it was given nor at a read that finds data: a connection busy for longer than
// read_header_timeout between two heads is not cut for it.
func TestARawSocketsRelativeBoundCountsFromTheWait(t *testing.T) {
	s, peer := rawPair(t)
	buf := make([]byte, 8)
	s.ReadWithin(30 * time.Millisecond)
	if _, err := peer.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	// Until the byte is there, so that the read below finds it without waiting.
	if err := s.rc.Read(func(fd uintptr) bool { return h1.PeekFD(fd) != h1.PeekEmpty }); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read with data: %d, %v", n, err)
	}
	if s.fixed() {
		t.Fatal("a read that did not wait fixed the relative bound")
	}
	// Nothing to read: the bound is fixed at this wait and ends it.
	if _, err := s.Read(buf); !deadlineHit(err) {
		t.Fatalf("a read waiting past the bound: %v, want a deadline error", err)
	}
	if !s.fixed() {
		t.Fatal("a read that waited left the relative bound unfixed")
	}
	// 0 is no bound: it replaces the passed one.
	s.ReadWithin(0)
	if _, err := peer.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read after the bound was lifted: %d, %v", n, err)
	}
}

func TestARawSocketsSetDeadlineInterruptsAWaitingRead(t *testing.T) {
	s, peer := rawPair(t)
	s.ReadBound(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		done <- err
	}()
	// The read waits; a deadline in the past from elsewhere ends it, whenever it lands.
	if err := s.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !deadlineHit(err) {
		t.Fatalf("interrupted read: %v, want a deadline error", err)
	}
	// The latest set wins: a bound given after the interrupt lets reads go on.
	s.ReadBound(time.Now().Add(time.Minute))
	_, _ = peer.Write([]byte("x"))
	if n, err := s.Read(make([]byte, 8)); n != 1 || err != nil {
		t.Fatalf("a read after a new bound: %d, %v", n, err)
	}
}

func TestARawSocketsWriteBoundEndsAWriteNobodyTakes(t *testing.T) {
	s, _ := rawPair(t)
	s.WriteWithin(50 * time.Millisecond)
	big := make([]byte, 64<<20) // more than both socket buffers hold
	n, err := s.Write(big)
	if !deadlineHit(err) || n == 0 || n == len(big) {
		t.Fatalf("a write the peer does not read: %d bytes, %v; want some bytes and a deadline error", n, err)
	}
}

func TestARawSocketsCloseEndsAWaitingRead(t *testing.T) {
	s, _ := rawPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		done <- err
	}()
	_ = s.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed socket: %v, want net.ErrClosed", err)
	}
}

// The RawConn it hands out (the liveness peek, the client watch) waits under the
// wanted bound, not a stale one.
func TestARawSocketsRawConnArmsTheBoundBeforeItsCallerWaits(t *testing.T) {
	s, _ := rawPair(t)
	rc, err := s.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	s.ReadBound(time.Now().Add(30 * time.Millisecond))
	err = rc.Read(func(fd uintptr) bool {
		_, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, fd, 0, 0, syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		return e != syscall.EAGAIN
	})
	if !deadlineHit(err) {
		t.Fatalf("a raw read past the bound: %v, want a deadline error", err)
	}
}

// fixed reports whether the read bound is fixed (not waiting for a wait to count from).
func (s *rawSock) fixed() bool {
	s.dl.Lock()
	defer s.dl.Unlock()
	return s.r.within == 0
}
