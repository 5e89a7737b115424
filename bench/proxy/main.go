// Command proxy measures throughput and latency of one OpenSearch node reached three
// ways in the same run — directly, through HAProxy and through esdr's proxy — with wrk at
// a few connection counts, samples esdr's resident memory, and writes the result into
// docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/bench/anchor"
	"github.com/esdr/esdr/internal/bootstrap"
	"github.com/esdr/esdr/internal/state"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
)

func main() { os.Exit(run()) }

// target is one way to reach the node, and the process in the way (0 for none).
type target struct {
	name, url string
	pid       int
}

// esdrName is esdr's proxy on its own HTTP/1.1 path (proxy.server and
// proxy.upstream_client: h1), esdrNetHTTPName the same on net/http's server and client.
// Both are set explicitly, whatever the defaults.
const (
	esdrName        = "esdr, h1"
	esdrNetHTTPName = "esdr, net/http"
)

func run() int {
	connsFlag := flag.String("conns", "16,64,256", "wrk connection counts, comma-separated")
	duration := flag.Duration("d", 10*time.Second, "measured duration per target and connection count")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured wrk run before each measurement")
	threads := flag.Int("t", 2, "wrk threads")
	path := flag.String("path", "/_cluster/health", "request path (GET)")
	engine := flag.String("engine", "opensearch2", "test-bed engine")
	esdrBin := flag.String("esdr", "bin/esdr", "esdr binary (build without -race)")
	relays := flag.Bool("relays", true, "also measure three TCP relays that parse no HTTP (bench/proxy/relay): the bound for each proxy design")
	baseline := flag.String("baseline", "", "another esdr binary measured in the same run, after esdr at each connection count (a change's before and after)")
	out := flag.String("o", "docs/benchmarks.md", "markdown file to write the section into ('' prints only)")
	runs := flag.Int("runs", 5, "measurements per cell, interleaved: every target at every connection count once per round")
	hold := flag.Bool("hold", false, "start the targets, print their URLs and PIDs and wait for an interrupt instead of measuring (to profile one by hand)")
	flag.Parse()
	if *runs < 1 {
		fmt.Fprintf(os.Stderr, "proxy: -runs %d: want at least 1\n", *runs)
		return 2
	}
	var conns []int
	for _, s := range strings.Split(*connsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "proxy: -conns %q: want positive integers\n", *connsFlag)
			return 2
		}
		conns = append(conns, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, conns, *runs, *duration, *warmup, *threads, *path, *engine, *esdrBin, *baseline, *relays, *hold, *out); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		return 1
	}
	return 0
}

func bench(ctx context.Context, conns []int, runs int, d, warmup time.Duration, threads int, path, engine, esdrBin, baseline string, relays, hold bool, out string) error {
	dir, err := os.MkdirTemp("", "esdr-bench-proxy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start, loadStart := time.Now(), report.LoadAverage()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%5.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	logf("starting a 1-node %s cluster (the backend)...", engine)
	c, err := testbed.Start(ctx, testbed.Spec{Engine: engine, Cluster: "bench-backend", Nodes: 1, Dir: dir, FullJIT: true})
	if err != nil {
		return err
	}
	defer c.Destroy()
	node := c.Nodes[0].URL()

	// esdr needs a standby in its configuration; an address nothing listens on stays
	// down and never takes traffic, so the data path is the same as with a real one.
	dead, err := esdrproc.FreeAddr()
	if err != nil {
		return err
	}
	esdrH1, err := startEsdr(ctx, esdrBin, filepath.Join(dir, "esdr-h1"), node, "http://"+dead, "  upstream_client: h1\n  server: h1\n")
	if err != nil {
		return err
	}
	defer esdrH1.proc.Stop()
	esdrNet, err := startEsdr(ctx, esdrBin, filepath.Join(dir, "esdr-nethttp"), node, "http://"+dead, "  upstream_client: net/http\n  server: net/http\n")
	if err != nil {
		return err
	}
	defer esdrNet.proc.Stop()
	haAddr, err := esdrproc.FreeAddr()
	if err != nil {
		return err
	}
	haCfg := fmt.Sprintf(haproxyConfig, haAddr, strings.TrimPrefix(node, "http://"))
	h, err := anchor.Start(ctx, dir, haCfg, haAddr)
	if err != nil {
		return err
	}
	defer h.Stop()
	logf("backend %s, HAProxy %s, esdr proxies %s (h1) and %s (net/http)", node, haAddr, esdrH1.proxy, esdrNet.proxy)

	targets := []target{
		{"direct", node, 0}, {"haproxy", "http://" + haAddr, h.PID()},
		{esdrName, esdrH1.proxy, esdrH1.pid}, {esdrNetHTTPName, esdrNet.proxy, esdrNet.pid},
	}
	if relays {
		rs, stop, err := startRelays(ctx, dir, hostPort(node))
		if err != nil {
			return err
		}
		defer stop()
		targets = append(targets, rs...)
	}
	if baseline != "" {
		base, err := startEsdr(ctx, baseline, filepath.Join(dir, "esdr-baseline"), node, "http://"+dead, "")
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		defer base.proc.Stop()
		targets = append(targets, target{baselineName, base.proxy, base.pid})
	}
	if hold {
		for _, t := range targets {
			logf("%-18s %s%s pid %d", t.name, t.url, path, t.pid)
		}
		logf("holding until interrupted")
		<-ctx.Done()
		return nil
	}
	res := newResults(path, d, threads, haCfg)
	res.baseline = baseline
	res.loadStart = loadStart
	res.rssIdle, _ = rssOf(esdrH1.pid)
	res.runs, res.conns = runs, conns
	for _, t := range targets {
		res.targets = append(res.targets, t.name)
	}
	for round := 1; round <= runs; round++ {
		for _, n := range conns {
			for _, t := range targets {
				if _, _, err := runWrk(ctx, t.url+path, threads, n, warmup); err != nil {
					return err
				}
				sampler, cpu0 := startRSS(t.pid), cpuUsed(t.pid)
				r, cmd, err := runWrk(ctx, t.url+path, threads, n, d)
				r.RSS, r.CPU = sampler.stop(), cpuUsed(t.pid)-cpu0
				if err != nil {
					return err
				}
				res.add(n, t.name, r)
				res.wrkCmd = cmd
				logf("round %d/%d %4d conns %-18s %8.0f req/s  p50 %-9s p99 %-9s errors %d  CPU %s", round, runs, n, t.name, r.RPS, r.P50, r.P99, r.Errors, perRequest(r))
			}
		}
	}
	body := res.markdown()
	fmt.Println(body)
	if out == "" {
		return nil
	}
	return report.Section(out, "proxy", strings.TrimSpace("go run ./bench/proxy "+strings.Join(os.Args[1:], " ")), body)
}

// cpuUsed is cpuOf, 0 for no process or when it cannot be read.
func cpuUsed(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	d, _ := cpuOf(pid)
	return d
}

// esdrProxy is one `esdr run` serving the proxy.
type esdrProxy struct {
	proc  *esdrproc.Proc
	proxy string // URL
	pid   int
}

// startEsdr runs esdr on node as its primary; proxyExtra adds keys to the proxy block.
func startEsdr(ctx context.Context, bin, dir, node, standby, proxyExtra string) (*esdrProxy, error) {
	adminAddr, proxyAddr, err := esdrproc.Addrs()
	if err != nil {
		return nil, err
	}
	// Pair renders the proxy block last, so Extra's indented keys continue it.
	cfg := esdrproc.Pair{Primary: []string{node}, Standby: []string{standby},
		Interval: time.Second, AdminAddr: adminAddr, ProxyAddr: proxyAddr, Extra: proxyExtra}
	if err := seedState(filepath.Join(dir, "state.db")); err != nil {
		return nil, err
	}
	p, err := esdrproc.Start(ctx, bin, dir, adminAddr, cfg.YAML())
	if err != nil {
		return nil, err
	}
	if err := p.WaitUp(ctx, time.Minute, "primary"); err != nil {
		p.Stop()
		return nil, err
	}
	return &esdrProxy{proc: p, proxy: "http://" + proxyAddr, pid: p.Pid()}, nil
}

// seedState stores the primary as active at epoch 1, as `esdr run --bootstrap-active
// primary` would: the standby is an address nothing listens on, so esdr's look before a
// first start cannot rule out that traffic left the primary, and would refuse to start.
func seedState(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	st, err := state.OpenFile(path, state.FileOptions{})
	if err != nil {
		return err
	}
	s, ev := bootstrap.Initial("primary", bootstrap.Verdict{Epoch: 1}, time.Now())
	if _, _, err := st.CommitDecision(context.Background(), 0, s, ev); err != nil {
		st.Close()
		return fmt.Errorf("seed the state: %w", err)
	}
	return st.Close()
}
