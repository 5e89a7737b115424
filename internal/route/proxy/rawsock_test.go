package proxy

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
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

	// A bound armed by a wait that data ended, then passed: the next read with data
	// is not refused for it.
	bound := time.Now().Add(20 * time.Millisecond)
	s.ReadBound(bound)
	go func() {
		for !s.armed(bound) {
			time.Sleep(time.Millisecond) // until the read waits under the bound
		}
		_, _ = peer.Write([]byte("y"))
	}()
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read that waited for data: %d, %v", n, err)
	}
	for time.Now().Before(bound.Add(5 * time.Millisecond)) {
		time.Sleep(time.Millisecond) // the armed deadline passes
	}
	s.ReadBound(time.Now().Add(time.Minute))
	if _, err := peer.Write([]byte("z")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read with data after the armed deadline passed: %d, %v", n, err)
	}
}

// A relative bound is fixed at the first read that waits after it was given, not when
// it was given: a connection busy for longer than read_header_timeout between two heads
// is not cut for it.
func TestARawSocketsRelativeBoundCountsFromTheWait(t *testing.T) {
	s, peer := rawPair(t)
	buf := make([]byte, 8)
	s.ReadWithin(30 * time.Millisecond)
	given := time.Now()
	for time.Since(given) < 60*time.Millisecond {
		time.Sleep(5 * time.Millisecond) // longer than the bound, without a read
	}
	go func() {
		for !s.armedLater(given.Add(60 * time.Millisecond)) {
			time.Sleep(time.Millisecond) // until the read waits under the fixed bound
		}
		_, _ = peer.Write([]byte("x"))
	}()
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read waiting under a bound fixed at the wait: %d, %v", n, err)
	}
	// Fixed once: the next wait under it ends at it.
	if _, err := s.Read(buf); !deadlineHit(err) {
		t.Fatalf("a second read past the fixed bound: %v, want a deadline error", err)
	}
	// 0 is no bound.
	s.ReadWithin(0)
	go func() {
		for !s.armed(time.Time{}) {
			time.Sleep(time.Millisecond)
		}
		_, _ = peer.Write([]byte("y"))
	}()
	if n, err := s.Read(buf); n != 1 || err != nil {
		t.Fatalf("a read without a bound: %d, %v", n, err)
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

// armed reports whether t is the read deadline armed on the socket.
func (s *rawSock) armed(t time.Time) bool {
	s.dl.Lock()
	defer s.dl.Unlock()
	return s.r.armed == toNanos(t)
}

// armedLater reports whether the read deadline armed on the socket is after t.
func (s *rawSock) armedLater(t time.Time) bool {
	s.dl.Lock()
	defer s.dl.Unlock()
	return s.r.armed > t.UnixNano()
}
