//go:build linux

package main

import (
	"fmt"
	"net"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epollRelay is the event-loop design without a library: per core a locked thread with
// its own listening socket (SO_REUSEPORT, the kernel spreads connections) and its own
// epoll set; each client gets a node connection of its own; a socket is read only when
// epoll said it is readable (edge-triggered: read until a read comes back short, which
// on TCP means the queue was empty, so that no read fails with EAGAIN), and what is read
// is sent to the peer at once. It bounds what a proxy that reads only ready sockets could
// reach in Go, where a goroutine per connection reads first and parks on EAGAIN.
func epollRelay(listen, upstream string) error {
	ua, err := net.ResolveTCPAddr("tcp4", upstream)
	if err != nil {
		return err
	}
	up := &unix.SockaddrInet4{Port: ua.Port}
	copy(up.Addr[:], ua.IP.To4())
	n := runtime.GOMAXPROCS(0)
	errs := make(chan error, n)
	for range n {
		go func() { errs <- epollLoop(listen, up) }()
	}
	return <-errs
}

func epollLoop(listen string, up *unix.SockaddrInet4) error {
	runtime.LockOSThread()
	lfd, err := reusePortListener(listen)
	if err != nil {
		return err
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, lfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(lfd)}); err != nil {
		return err
	}
	peer := map[int]int{}
	buf := make([]byte, 64<<10)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(ep, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("epoll_wait: %w", err)
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == lfd {
				acceptAll(ep, lfd, up, peer)
				continue
			}
			p, ok := peer[fd]
			if !ok {
				continue
			}
			for {
				m, errno := recvRaw(fd, buf)
				if errno == unix.EAGAIN {
					break
				}
				if errno != 0 || m == 0 || !sendAll(p, buf[:m]) {
					unix.Close(fd)
					unix.Close(p)
					delete(peer, fd)
					delete(peer, p)
					break
				}
				if m < len(buf) {
					break // a short read drained the socket: what comes later is a new edge
				}
			}
		}
	}
}

func acceptAll(ep, lfd int, up *unix.SockaddrInet4, peer map[int]int) {
	for {
		c, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		u, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			err = unix.Connect(u, up) // blocking: a loopback connect is immediate
		}
		if err != nil {
			unix.Close(c)
			if u >= 0 {
				unix.Close(u)
			}
			continue
		}
		for _, fd := range []int{c, u} {
			_ = unix.SetNonblock(fd, true)
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
			_ = unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(fd)})
		}
		peer[c], peer[u] = u, c
	}
}

func reusePortListener(addr string) (int, error) {
	ta, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	sa := &unix.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())
	if err := unix.Bind(fd, sa); err != nil {
		return -1, err
	}
	return fd, unix.Listen(fd, 4096)
}

func recvRaw(fd int, b []byte) (int, syscall.Errno) {
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, 0, 0)
	return int(n), e
}

// sendAll sends b, waiting in poll(2) when the socket's buffer is full.
func sendAll(fd int, b []byte) bool {
	for len(b) > 0 {
		n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), unix.MSG_NOSIGNAL, 0, 0)
		switch e {
		case 0:
			b = b[n:]
		case unix.EAGAIN:
			p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			_, _ = unix.Poll(p, 1000)
		case unix.EINTR:
		default:
			return false
		}
	}
	return true
}
