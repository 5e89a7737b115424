package haproxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// node is a tiny HTTP server standing for one Elasticsearch node; it counts requests.
type node struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newNode(t *testing.T) *node {
	t.Helper()
	n := &node{}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		fmt.Fprintln(w, `{"status":"green"}`)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// haproxyPeer is a real HAProxy started for one test: a frontend on a free port in
// front of backend "es", and an admin-level runtime API on a unix socket.
type haproxyPeer struct {
	socket   string
	frontend string
}

// startHAProxy runs haproxy -db with one server per node, named by servers[i].
func startHAProxy(t *testing.T, servers []string, nodes []*node) haproxyPeer {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real HAProxy; skipped under -short")
	}
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy not found; run scripts/install.sh")
	}
	// unix socket paths are limited to 108 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "esdr-haproxy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := haproxyPeer{socket: filepath.Join(dir, "admin.sock"), frontend: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  stats socket %s mode 600 level admin\n", p.socket)
	fmt.Fprintf(&b, "defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n")
	fmt.Fprintf(&b, "frontend fe\n  bind %s\n  default_backend es\n", p.frontend)
	fmt.Fprintf(&b, "backend es\n  balance roundrobin\n")
	for i, s := range servers {
		fmt.Fprintf(&b, "  server %s %s\n", s, strings.TrimPrefix(nodes[i].srv.URL, "http://"))
	}
	conf := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", conf, "-db")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			t.Logf("haproxy log:\n%s", out)
		}
	})
	rt := runtime{network: "unix", address: p.socket, timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := rt.serverStates(context.Background(), "es")
		if err == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy runtime API at %s not ready: %v", p.socket, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
