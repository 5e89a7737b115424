package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
)

// rawNode is a node that answers every request with the same canned answer, reading
// heads without allocating: allocations counted around it are the proxy's.
func rawNode(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	const body = `{"node":"a1"}`
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					if readHead(br) != nil {
						return
					}
					if _, err := c.Write(answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readHead reads up to the end of a head (requests without body only).
func readHead(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			return nil
		}
	}
}

// TestAllocationsOfASmallGET measures the allocations of one small GET through the
// proxy, client and node being raw sockets that allocate nothing. It reports the number
// (go test -run AllocationsOfASmallGET -v ./internal/route/proxy, or -args -server=net/http
// -upstream=net/http) and fails when an answer is wrong or, on the proxy's own path on
// both sides, past 2 (#19; in the product's build, not under -race).
func TestAllocationsOfASmallGET(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	h := startProxy(t, Config{}, newRouter("east", 1, rawNode(t)), &fakeProber{})
	c, err := net.Dial("tcp", h.px.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET /idx/_search HTTP/1.1\r\nHost: esdr\r\nUser-Agent: alloc-test\r\nAccept: application/json\r\n\r\n")
	br := bufio.NewReader(c)
	var body [13]byte
	var failed bool
	get := func() {
		if _, err := c.Write(req); err != nil {
			failed = true
			return
		}
		line, err := br.ReadSlice('\n')
		if err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			failed = true
			return
		}
		if readHead(br) != nil {
			failed = true
			return
		}
		if _, err := io.ReadFull(br, body[:]); err != nil || string(body[:]) != `{"node":"a1"}` {
			failed = true
		}
	}
	for range 50 { // warm the pools
		get()
	}
	allocs := testing.AllocsPerRun(500, get)
	if failed {
		t.Fatal("a GET through the proxy failed")
	}
	cfg := Config{Server: *serverFlag, UpstreamClient: *upstreamFlag}.withDefaults()
	t.Logf("allocations per small GET (server %s, upstream client %s): %.1f", cfg.Server, cfg.UpstreamClient, allocs)
	if !raceBuild && cfg.Server == ServerH1 && cfg.UpstreamClient == UpstreamH1 && allocs > 2 {
		t.Fatalf("%.1f allocations per small GET on the proxy's own path, want at most 2", allocs)
	}
}
