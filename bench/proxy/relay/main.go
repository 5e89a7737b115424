// Command relay is a reference point for bench/proxy, not part of esdr: two TCP relays
// that parse no HTTP at all, so that every run prints what any HTTP-aware proxy on this
// machine is up against (docs/benchmarks.md, issue #19).
//
//	relay -mode l4 LISTEN UPSTREAM      a goroutine per connection, io.Copy both ways
//	relay -mode evloop LISTEN UPSTREAM  event loops over non-blocking sockets (gnet)
//	relay -mode epoll LISTEN UPSTREAM   event loops of its own: epoll per locked thread
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	mode := flag.String("mode", "l4", "l4 (goroutine per connection), evloop (gnet event loops) or epoll (event loops of its own)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: relay -mode l4|evloop|epoll LISTEN UPSTREAM")
		os.Exit(2)
	}
	var err error
	switch *mode {
	case "l4":
		err = l4(flag.Arg(0), flag.Arg(1))
	case "evloop":
		err = evloop(flag.Arg(0), flag.Arg(1))
	case "epoll":
		err = epollRelay(flag.Arg(0), flag.Arg(1))
	default:
		err = fmt.Errorf("-mode %q: want l4, evloop or epoll", *mode)
	}
	fmt.Fprintln(os.Stderr, "relay:", err)
	os.Exit(1)
}

// l4 is the cheapest goroutine-per-connection relay Go can do: io.Copy both ways (splice
// on Linux).
func l4(listen, upstream string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				return
			}
			defer u.Close()
			go func() {
				_, _ = io.Copy(u, c)
				_ = u.(*net.TCPConn).CloseWrite()
			}()
			_, _ = io.Copy(c, u)
		}()
	}
}
