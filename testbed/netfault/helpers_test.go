package netfault

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Close must wait for every goroutine a forwarder started.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// node is a real HTTP server standing in for a cluster node; it counts the requests that
// reached it, which is how a test tells "not forwarded" from "forwarded, answer lost".
type node struct {
	*httptest.Server
	hits atomic.Int64
	// streamEnded receives when a /stream handler returns: its client connection closed.
	streamEnded chan struct{}
}

func startNode(t *testing.T) *node {
	t.Helper()
	n := &node{streamEnded: make(chan struct{}, 8)}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		switch r.URL.Path {
		case "/big":
			_, _ = io.Copy(w, io.LimitReader(zeros{}, 4<<20))
			return
		case "/stream":
			defer func() { n.streamEnded <- struct{}{} }()
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, "tick\n"); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(10 * time.Millisecond)
			}
			return
		}
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}))
	t.Cleanup(n.Close)
	return n
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// forward starts a forwarder to n, closed when the test ends.
func forward(t *testing.T, n *node) *Forwarder {
	t.Helper()
	f, err := Listen(n.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// get fetches url on a fresh connection and returns the body.
func get(url string) (string, error) {
	c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// conn is one raw keep-alive HTTP/1.1 connection, so a test controls which request goes
// over which connection.
type conn struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{Conn: c, r: bufio.NewReader(c)}
}

// send writes a GET for path.
func (c *conn) send(t *testing.T, path string) {
	t.Helper()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: node\r\n\r\n", path); err != nil {
		t.Fatalf("send %s: %v", path, err)
	}
}

// receive reads one response within d and returns its body.
func (c *conn) receive(d time.Duration) (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// roundTrip sends a GET for path and wants its answer.
func (c *conn) roundTrip(t *testing.T, path string) {
	t.Helper()
	c.send(t, path)
	body, err := c.receive(5 * time.Second)
	if err != nil || body != "hello "+path {
		t.Fatalf("GET %s = %q, %v; want %q", path, body, err, "hello "+path)
	}
}

// isReset reports whether err is a TCP reset as a client sees it.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// isTimeout reports whether err is a read deadline passing: nothing came.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// firstError connects to addr and reads, and returns the first error: a reset sent right
// after the accept may reach the client while it is still connecting, or on its read.
func firstError(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	return err
}
