package peers

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/poll"
)

// HAProxy is a running HAProxy with one backend "es".
type HAProxy struct {
	// Socket is the runtime API (admin level); Frontend the host:port clients use.
	Socket, Frontend string
}

// Server is one backend server line: a name and a host:port.
type Server struct {
	Name, Addr string
	// Disabled starts the server in maintenance (HAProxy's "disabled").
	Disabled bool
}

// StartHAProxy starts Debian's HAProxy with a frontend on a free port and backend "es".
func StartHAProxy(t testing.TB, servers []Server) HAProxy {
	t.Helper()
	return StartHAProxyWith(t, servers, nil)
}

// StartHAProxyWith is StartHAProxy with further lines in the frontend, for example an
// authentication gate that answers 401 as a secured Elasticsearch does.
func StartHAProxyWith(t testing.TB, servers []Server, frontend []string) HAProxy {
	t.Helper()
	// Unix socket paths are limited to 108 bytes; t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "esdr-haproxy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := HAProxy{Socket: filepath.Join(dir, "admin.sock"), Frontend: fmt.Sprintf("127.0.0.1:%d", FreePort(t))}
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  stats socket %s mode 600 level admin\n", h.Socket)
	b.WriteString("defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n")
	fmt.Fprintf(&b, "frontend fe\n  bind %s\n", h.Frontend)
	for _, l := range frontend {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	b.WriteString("  default_backend es\nbackend es\n  balance roundrobin\n")
	for _, s := range servers {
		extra := ""
		if s.Disabled {
			extra = " disabled"
		}
		fmt.Fprintf(&b, "  server %s %s%s\n", s.Name, s.Addr, extra)
	}
	RunHAProxyT(t, dir, b.String())
	if err := poll.Accepting(context.Background(), 20*time.Second, "unix", h.Socket); err != nil {
		t.Fatalf("haproxy runtime API: %v", err)
	}
	return h
}

// Command sends one runtime API command and returns the answer.
func (h HAProxy) Command(t testing.TB, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", h.Socket, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\n")); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			return out.String()
		}
	}
}
