package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/state"
)

const token = "e2e-token-0123456789abcdef"

// settings are the parts of an esdr configuration a scenario varies.
type settings struct {
	interval, timeout      string
	failureThreshold       int
	failback, failbackWait string
	holdDown               string
	proxy                  bool   // serve the proxy on a free port (esdr.proxyURL)
	plain                  bool   // run esdr built without the race detector
	extra                  string // further top-level YAML (targets, act, aws, hooks, fleet)
	// primaryNodes replaces the primary's node URLs (a fleet member reaching the primary
	// through its own netfault forwarders).
	primaryNodes []string
	// primaryAuth is the primary's auth block (YAML flow mapping), if any.
	primaryAuth string
}

func defaults() settings {
	return settings{interval: "500ms", timeout: "500ms", failureThreshold: 3, failback: "manual", failbackWait: "5s", holdDown: "1h"}
}

// esdr is one `esdr run` process with its own configuration and state file.
type esdr struct {
	t    *testing.T
	dir  string
	cfg  string
	addr string
	bin  string
	// args are further `esdr run` flags (--bootstrap-active).
	args []string
	// proxyURL is the proxy's base URL when settings.proxy is set.
	proxyURL string
	client   *admin.Client
	cmd      *exec.Cmd
	out      *syncBuffer
	done     chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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

func yamlList(urls []string) string { return "[" + strings.Join(urls, ", ") + "]" }

// startEsdr writes a configuration for the pair and starts esdr on it.
func startEsdr(t *testing.T, p pair, s settings) *esdr {
	t.Helper()
	e := newEsdr(t, p, s)
	e.start()
	t.Cleanup(e.stop)
	return e
}

// newEsdr writes a configuration for the pair, and starts nothing.
func newEsdr(t *testing.T, p pair, s settings) *esdr {
	t.Helper()
	dir := t.TempDir()
	e := &esdr{t: t, dir: dir, cfg: filepath.Join(dir, "esdr.yaml"), addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), bin: esdrBin}
	if s.plain {
		e.bin = plainBin(t)
	}
	primary := p.primary.URLs()
	if s.primaryNodes != nil {
		primary = s.primaryNodes
	}
	auth := ""
	if s.primaryAuth != "" {
		auth = "\n    auth: " + s.primaryAuth
	}
	cfg := fmt.Sprintf(`clusters:
  - name: primary
    nodes: %s%s
  - name: standby
    nodes: %s
health:
  interval: %s
  timeout: %s
  failure_threshold: %d
  success_threshold: 3
failover:
  auto: true
  hold_down: %s
  failback: %s
  failback_after: %s
state:
  path: state.db
admin:
  listen: %s
  token: %s
log:
  level: debug
`, yamlList(primary), auth, yamlList(p.standby.URLs()), s.interval, s.timeout, s.failureThreshold,
		s.holdDown, s.failback, s.failbackWait, e.addr, token)
	if s.proxy {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		e.proxyURL = "http://" + addr
		cfg += fmt.Sprintf("proxy:\n  listen: %s\n  failover_wait: 5s\n  read_header_timeout: 1s\n", addr)
	}
	cfg += s.extra
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := admin.NewClient("http://"+e.addr, token, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

// start runs esdr and waits until its admin API answers with a decided state.
func (e *esdr) start() {
	e.t.Helper()
	e.out = &syncBuffer{}
	e.cmd = exec.Command(e.bin, append([]string{"run", "-c", e.cfg}, e.args...)...)
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := e.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.done = make(chan struct{})
	go func() { _ = e.cmd.Wait(); close(e.done) }()
	e.eventually("esdr admin API up", 15*time.Second, func() bool {
		select {
		case <-e.done:
			e.t.Fatalf("esdr exited at start:\n%s", e.out.String())
		default:
		}
		_, err := e.client.Status(context.Background())
		return err == nil
	})
}

// Exited reports whether the esdr process has ended.
func (e *esdr) Exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// kill9 kills esdr without letting it clean up, as a crash would.
func (e *esdr) kill9() {
	_ = e.cmd.Process.Kill()
	<-e.done
}

func (e *esdr) stop() {
	select {
	case <-e.done:
		return
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
		e.t.Errorf("esdr did not stop within 10s of SIGTERM; killing it")
		e.kill9()
	}
	if e.t.Failed() {
		e.t.Logf("esdr log:\n%s", tail(e.out.String(), 60))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// eventually polls cond until it holds or the bound passes. The bound is a safety net
// against a hung test, not a performance assertion.
func (e *esdr) eventually(what string, within time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %s waiting for %s\nesdr log:\n%s", within, what, tail(e.out.String(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *esdr) status() admin.Status {
	e.t.Helper()
	st, err := e.client.Status(context.Background())
	if err != nil {
		e.t.Fatalf("status: %v", err)
	}
	return st
}

func (e *esdr) waitActive(cluster string, epoch uint64, within time.Duration) {
	e.t.Helper()
	e.eventually(fmt.Sprintf("%s active at epoch %d", cluster, epoch), within, func() bool {
		st, err := e.client.Status(context.Background())
		return err == nil && st.State.Active == cluster && st.State.Epoch == epoch
	})
}

func (e *esdr) waitVerdict(cluster, verdict string, within time.Duration) {
	e.t.Helper()
	e.eventually(cluster+" "+verdict, within, func() bool {
		st, err := e.client.Status(context.Background())
		if err != nil {
			return false
		}
		for _, c := range st.Clusters {
			if c.Name == cluster {
				return string(c.Observation.Verdict) == verdict
			}
		}
		return false
	})
}

func (e *esdr) events() []state.Event {
	e.t.Helper()
	evs, err := e.client.Events(context.Background(), 0, 1000)
	if err != nil {
		e.t.Fatalf("events: %v", err)
	}
	return evs
}

// cli runs an esdr operator command against this process.
func (e *esdr) cli(args ...string) (string, int) {
	e.t.Helper()
	full := append(args, "--addr", "http://"+e.addr, "--token", token)
	cmd := exec.Command(esdrBin, full...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return string(out), code
}
