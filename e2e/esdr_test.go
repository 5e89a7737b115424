package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/peers"
)

// settings are the parts of an esdr configuration a scenario varies: the harness's Pair
// (probes, thresholds, failback, hold-down, the primary's auth), whose clusters and
// addresses newEsdr fills in, and what only the end-to-end tests need.
type settings struct {
	esdrproc.Pair
	proxy bool // serve the proxy on a free port (esdr.proxyURL)
	// proxyKeys adds keys to the proxy block ("  server: h1\n").
	proxyKeys string
	plain     bool   // run esdr built without the race detector
	extra     string // further top-level YAML (targets, act, aws, hooks, fleet)
	// primaryNodes replaces the primary's node URLs (a fleet member reaching the primary
	// through its own netfault forwarders).
	primaryNodes []string
	// nofile, when set, is esdr's file limit (soft and hard): it runs under a shell that
	// lowers it first, as a host with a small LimitNOFILE would.
	nofile int
}

func defaults() settings {
	return settings{Pair: esdrproc.Pair{Interval: 500 * time.Millisecond, Threshold: 3, SuccessThreshold: 3, Failback: "manual",
		FailbackAfter: 5 * time.Second, HoldDown: time.Hour, LogLevel: "debug"}}
}

// esdr is one `esdr run` process (testbed/esdrproc, the harness the benchmarks and the
// demo use too) with its own configuration and state file, and the test it serves.
type esdr struct {
	*esdrproc.Proc
	t *testing.T
	// proxyURL is the proxy's base URL when settings.proxy is set.
	proxyURL string
}

func yamlList(urls []string) string { return "[" + strings.Join(urls, ", ") + "]" }

// startEsdr writes a configuration for the pair and starts esdr on it; a cleanup stops it.
func startEsdr(t *testing.T, p pair, s settings) *esdr {
	t.Helper()
	e := newEsdr(t, p, s)
	e.StartT(t)
	return e
}

// startSettled starts esdr and waits until it has settled on the primary at epoch 1 with
// the standby up: where most scenarios begin.
func startSettled(t *testing.T, p pair, s settings) *esdr {
	t.Helper()
	e := startEsdr(t, p, s)
	e.waitVerdict("standby", "up", detectBound)
	e.waitActive("primary", 1, detectBound)
	return e
}

// newEsdr writes a configuration for the pair, and starts nothing.
func newEsdr(t *testing.T, p pair, s settings) *esdr {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	bin := esdrBin
	if s.plain {
		bin = plainBin(t)
	}
	if s.nofile > 0 {
		bin = limitedBin(t, bin, s.nofile)
	}
	e := &esdr{t: t}
	c := s.Pair
	c.Primary, c.Standby, c.AdminAddr = p.primary.URLs(), p.standby.URLs(), addr
	if s.primaryNodes != nil {
		c.Primary = s.primaryNodes
	}
	if s.proxy {
		c.ProxyAddr = fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
		e.proxyURL = "http://" + c.ProxyAddr
		c.Extra = "  failover_wait: 5s\n  read_header_timeout: 1s\n" + s.proxyKeys // more of the proxy block
	}
	c.Extra += s.extra
	cfg := c.YAML()
	e.Proc = esdrproc.NewT(t, esdrproc.Spec{Bin: bin, Addr: addr, Config: cfg})
	return e
}

// eventually polls cond until it holds, or fails the test with esdr's log.
func (e *esdr) eventually(what string, within time.Duration, cond func() bool) {
	e.t.Helper()
	e.Eventually(e.t, what, within, cond)
}

func (e *esdr) status() admin.Status {
	e.t.Helper()
	st, err := e.Client.Status(context.Background())
	if err != nil {
		e.t.Fatalf("status: %v", err)
	}
	return st
}

func (e *esdr) waitActive(cluster string, epoch uint64, within time.Duration) {
	e.t.Helper()
	e.eventually(fmt.Sprintf("%s active at epoch %d", cluster, epoch), within, func() bool {
		st, err := e.Client.Status(context.Background())
		return err == nil && st.State.Active == cluster && st.State.Epoch == epoch
	})
}

func (e *esdr) waitVerdict(cluster, verdict string, within time.Duration) {
	e.t.Helper()
	e.eventually(cluster+" "+verdict, within, func() bool {
		st, err := e.Client.Status(context.Background())
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
	evs, err := e.Client.Events(context.Background(), 0, 1000)
	if err != nil {
		e.t.Fatalf("events: %v", err)
	}
	return evs
}

// cli runs an esdr operator command against this process.
func (e *esdr) cli(args ...string) (string, int) {
	e.t.Helper()
	full := append(args, "--addr", "http://"+e.Addr, "--token", esdrproc.Token)
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

// limitedBin is a script that runs bin with its file limit (soft and hard) lowered to
// nofile. It execs, so esdr keeps the script's process id and gets its signals.
func limitedBin(t *testing.T, bin string, nofile int) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "esdr-limited")
	body := fmt.Sprintf("#!/bin/sh\nulimit -n %d || exit 97\nexec %q \"$@\"\n", nofile, bin)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}
