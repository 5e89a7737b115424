package e2e

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/poll"
)

// The Perl tier's peers: prove (the module's .t files), Starman running the example
// app, HAProxy in front of it. scripts/install-deps.sh installs them (make test does).

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s is not installed: scripts/install-deps.sh installs it (make test runs it)", n)
		}
	}
}

// starman is one app server: Starman's master and its workers, in their own process group.
type starman struct {
	port    int
	pidFile string
	proc    *child.Proc
}

func startStarman(t *testing.T, root string, env []string) *starman {
	t.Helper()
	dir := t.TempDir()
	s := &starman{port: peers.FreePort(t), pidFile: filepath.Join(dir, "starman.pid")}
	cmd := exec.Command("starman", "-I", filepath.Join(root, "clients/perl/lib"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", s.port), "--workers", "2", "--pid", s.pidFile,
		filepath.Join(root, "examples/perl-app/app.psgi"))
	cmd.Env = append(os.Environ(), env...)
	// A group of its own: stopping the master stops its workers with it.
	s.proc = child.StartT(t, cmd, child.Options{Group: true})
	poll.Eventually(t, "starman :"+strconv.Itoa(s.port)+" up", 30*time.Second, func() bool {
		if len(s.pids(t)) < 3 {
			return false
		}
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/nope", s.port))
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusNotFound
	})
	return s
}

// pids are the master's pid (from its pid file) and its workers' (from /proc).
func (s *starman) pids(t *testing.T) []int {
	t.Helper()
	b, err := os.ReadFile(s.pidFile)
	if err != nil {
		return nil
	}
	master, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return nil
	}
	out := []int{master}
	kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", master, master))
	for _, f := range strings.Fields(string(kids)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// kill crashes the app server: SIGKILL to the master and each worker, by pid.
func (s *starman) kill(t *testing.T) {
	t.Helper()
	for _, pid := range s.pids(t) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	<-s.proc.Done()
}

// haproxy runs deploy/haproxy/app-tier.cfg with only its addresses and paths changed.
type haproxy struct {
	url, sock string
	proc      *child.Proc
}

func startHAProxy(t *testing.T, root string, apps []*starman) *haproxy {
	t.Helper()
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(root, "deploy/haproxy/app-tier.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	port := peers.FreePort(t)
	h := &haproxy{url: fmt.Sprintf("http://127.0.0.1:%d", port), sock: filepath.Join(dir, "app-tier.sock")}
	edits := [][2]string{
		{"stats socket /run/haproxy/app-tier.sock", "stats socket " + h.sock},
		{"bind :80\n", fmt.Sprintf("bind 127.0.0.1:%d\n", port)},
		{"bind 127.0.0.1:8404", fmt.Sprintf("bind 127.0.0.1:%d", peers.FreePort(t))},
	}
	for i, a := range apps {
		edits = append(edits, [2]string{fmt.Sprintf("10.0.1.1%d:8080", i), fmt.Sprintf("127.0.0.1:%d", a.port)})
	}
	for _, e := range edits {
		if strings.Count(cfg, e[0]) != 1 {
			t.Fatalf("deploy/haproxy/app-tier.cfg: want %q exactly once", e[0])
		}
		cfg = strings.Replace(cfg, e[0], e[1], 1)
	}
	h.proc = peers.RunHAProxyT(t, dir, cfg)
	poll.Eventually(t, "haproxy: every app server UP", 60*time.Second, func() bool {
		st, err := h.stat()
		if err != nil {
			return false
		}
		for i := range apps {
			if st[fmt.Sprintf("app%d", i+1)] != "UP" {
				return false
			}
		}
		return true
	})
	return h
}

// stat is "show stat" over the runtime API: server name → status of backend app_servers.
func (h *haproxy) stat() (map[string]string, error) {
	c, err := net.DialTimeout("unix", h.sock, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "show stat\n"); err != nil {
		return nil, err
	}
	r := csv.NewReader(bufio.NewReader(io.LimitReader(c, 1<<20)))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("show stat: empty")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[strings.TrimPrefix(strings.TrimSpace(name), "# ")] = i
	}
	out := map[string]string{}
	for _, row := range rows[1:] {
		if len(row) > col["status"] && row[col["pxname"]] == "app_servers" {
			out[row[col["svname"]]] = row[col["status"]]
		}
	}
	return out, nil
}
