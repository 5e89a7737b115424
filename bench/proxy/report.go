package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/internal/route/proxy"
)

// results is everything one benchmark run measured.
type results struct {
	path       string
	duration   time.Duration
	threads    int
	wrkCmd     string // the last wrk command, as an example
	haproxyCfg string
	runs       int
	conns      []int
	targets    []string
	byConns    map[int]map[string]wrkResult   // the median run of each cell, by req/s
	all        map[int]map[string][]wrkResult // every run of each cell, in round order
	rssIdle    int64                          // esdr's RSS before the first run
	loadStart  string                         // load average before the benchmark started anything: other work on the machine
	baseline   string                         // the -baseline binary, measured as baselineName ("" without)
}

// baselineName is the target of the -baseline binary, with esdr's defaults.
const baselineName = "esdr baseline"

func newResults(path string, d time.Duration, threads int, haCfg string) *results {
	return &results{path: path, duration: d, threads: threads, haproxyCfg: haCfg,
		byConns: map[int]map[string]wrkResult{}, all: map[int]map[string][]wrkResult{}}
}

// add records one run of a cell and keeps the cell's median run in byConns.
func (r *results) add(conns int, target string, x wrkResult) {
	if r.all[conns] == nil {
		r.all[conns], r.byConns[conns] = map[string][]wrkResult{}, map[string]wrkResult{}
	}
	runs := append(r.all[conns][target], x)
	r.all[conns][target] = runs
	sorted := slices.SortedFunc(slices.Values(runs), func(a, b wrkResult) int { return cmp.Compare(a.RPS, b.RPS) })
	r.byConns[conns][target] = sorted[len(sorted)/2]
}

// ratios is target's req/s and CPU per request over HAProxy's in the same round, one per
// round: the comparison that other load on the machine disturbs least.
func (r *results) ratios(conns int, target string) (rps, cpu []float64) {
	xs, hs := r.all[conns][target], r.all[conns]["haproxy"]
	for i := range min(len(xs), len(hs)) {
		rps = append(rps, xs[i].RPS/hs[i].RPS)
		cpu = append(cpu, cpuRatio(xs[i], hs[i]))
	}
	return rps, cpu
}

// spread is "median (min–max)" of vs.
func spread(vs []float64) string {
	if len(vs) == 0 {
		return "—"
	}
	s := slices.Sorted(slices.Values(vs))
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", s[len(s)/2], s[0], s[len(s)-1])
}

// targetsOf19 checks *esdr, h1* against issue #19 at every connection count, by the
// per-round ratios' medians: ≥ 1.0× HAProxy's req/s, ≤ 1.5× its CPU per request, and
// RSS ≤ 64 MiB at the most connections.
func (r *results) targetsOf19(b *strings.Builder) {
	fmt.Fprintf(b, "\nAgainst the targets of issue #19, *%s*, per-round medians:\n\n", esdrName)
	for _, n := range r.conns {
		rps, cpu := r.ratios(n, esdrName)
		mr, mc := median(rps), median(cpu)
		fmt.Fprintf(b, "- %d connections: req/s ≥ 1.0× HAProxy's **%.2f×** (%s), CPU/req ≤ 1.5× HAProxy's **%.2f×** (%s);\n",
			n, mr, verdict(mr >= 1), mc, verdict(mc > 0 && mc <= 1.5))
	}
	last := r.conns[len(r.conns)-1]
	e, h, d := r.byConns[last][esdrName], r.byConns[last]["haproxy"], r.byConns[last]["direct"]
	fmt.Fprintf(b, "- RSS ≤ 64 MiB at %d connections: **%s** (%s; idle before the runs: %s).\n", last, mib(e.RSS), verdict(e.RSS <= 64<<20), mib(r.rssIdle))
	fmt.Fprintf(b, "\nLatency added over direct at %d connections, p50 / p99: esdr %s / %s, HAProxy %s / %s (p99s are noisy here).\n",
		last, signed(e.P50-d.P50), signed(e.P99-d.P99), signed(h.P50-d.P50), signed(h.P99-d.P99))
}

// median is the middle of vs (0 for none).
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	return slices.Sorted(slices.Values(vs))[len(vs)/2]
}

// ratioTable is every esdr target's per-round ratios to HAProxy, median (min–max).
func (r *results) ratioTable(b *strings.Builder) {
	fmt.Fprintf(b, "\nPer round, against HAProxy in the same round (%d rounds; median, min–max):\n\n", r.runs)
	b.WriteString("| conns | target | req/s × HAProxy | CPU/req × HAProxy |\n|---|---|---|---|\n")
	for _, n := range r.conns {
		for _, t := range r.targets {
			if t == "direct" || t == "haproxy" {
				continue
			}
			rps, cpu := r.ratios(n, t)
			fmt.Fprintf(b, "| %d | %s | %s | %s |\n", n, t, spread(rps), spread(cpu))
		}
	}
}

func (r *results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Proxy throughput and latency: direct vs HAProxy 2.6 vs esdr\n\n")
	fmt.Fprintf(&b, "`GET %s` on one OpenSearch 2 node (a 1-node test-bed cluster, 384 MiB heap), wrk with %d threads,\n", r.path, r.threads)
	fmt.Fprintf(&b, "%s per cell after an unmeasured warm-up, the targets one after the other at each connection count, %d\n", r.duration, r.runs)
	fmt.Fprintf(&b, "rounds of every cell interleaved; each row is the cell's median round by req/s.\n")
	fmt.Fprintf(&b, "wrk, the JVM, HAProxy and esdr all share this machine's cores, and other work on it (load average\n")
	fmt.Fprintf(&b, "%s before the run started anything, %s when it ended, its own load included), so absolute\n", r.loadStart, report.LoadAverage())
	fmt.Fprintf(&b, "numbers are low and p99s noisy; compare within a row group.\n")
	fmt.Fprintf(&b, "*added* = latency over direct at the same percentile; *errors* = non-2xx answers + socket errors;\n")
	fmt.Fprintf(&b, "*RSS* = peak VmRSS of the process in the way during the cell; *CPU/req* = its CPU time (user + system)\n")
	fmt.Fprintf(&b, "during the cell over the requests wrk completed: its cost per request, which other load on the machine\n")
	fmt.Fprintf(&b, "disturbs much less than req/s.\n\n")
	b.WriteString("| conns | target | req/s | × HAProxy | p50 | p99 | added p50 / p99 | errors | RSS | CPU/req |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, n := range r.conns {
		d, h := r.byConns[n]["direct"], r.byConns[n]["haproxy"]
		for _, t := range r.targets {
			x := r.byConns[n][t]
			added, rss, cpu := "—", "—", "—"
			if t != "direct" {
				added = signed(x.P50-d.P50) + " / " + signed(x.P99-d.P99)
				rss, cpu = mib(x.RSS), perRequest(x)
			}
			name := t
			if strings.HasPrefix(t, "esdr") {
				name = "**" + t + "**"
			}
			fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f× | %s | %s | %s | %d | %s | %s |\n",
				n, name, x.RPS, x.RPS/h.RPS, ms(x.P50), ms(x.P99), added, x.Errors, rss, cpu)
		}
	}
	r.ratioTable(&b)
	r.targetsOf19(&b)
	last := r.conns[len(r.conns)-1]
	if _, ok := r.byConns[last][relayL4Name]; ok {
		fmt.Fprintf(&b, "\nThe relays parse no HTTP (`bench/proxy/relay`): *%s* is a goroutine per connection with io.Copy both ways,\n", relayL4Name)
		fmt.Fprintf(&b, "*%s* gnet's event loops over non-blocking sockets, *%s* event loops of its own (epoll per locked thread, a socket read only\n", relayEvloopName, relayEpollName)
		fmt.Fprintf(&b, "when epoll says it is readable). They bound what an HTTP-aware Go proxy of each design can reach here:\n")
		for _, n := range r.conns {
			h := r.byConns[n]["haproxy"]
			var parts []string
			for _, t := range []string{esdrName, relayL4Name, relayEvloopName, relayEpollName} {
				x := r.byConns[n][t]
				parts = append(parts, fmt.Sprintf("%s %.2f× (CPU/req %.1f× HAProxy's)", t, x.RPS/h.RPS, cpuRatio(x, h)))
			}
			fmt.Fprintf(&b, "- %d conns: %s\n", n, strings.Join(parts, ", "))
		}
	}
	if r.baseline != "" {
		fmt.Fprintf(&b, "\n*%s* is `%s`, with esdr's defaults, measured right after esdr in each row group:\n", baselineName, r.baseline)
		for _, n := range r.conns {
			e, x, h := r.byConns[n][esdrName], r.byConns[n][baselineName], r.byConns[n]["haproxy"]
			fmt.Fprintf(&b, "- %d conns: esdr %.2f× HAProxy, baseline %.2f× (esdr / baseline %.2f×; CPU/req %s vs %s)\n",
				n, e.RPS/h.RPS, x.RPS/h.RPS, e.RPS/x.RPS, perRequest(e), perRequest(x))
		}
	}
	fmt.Fprintf(&b, "\nesdr: `bin/esdr run` (built without -race), `proxy.listen` and the proxy's defaults (`max_idle_per_node` %d) but for\n", proxy.DefaultMaxIdlePerNode)
	fmt.Fprintf(&b, "`server` and `upstream_client`: both `h1` for *%s*, both `net/http` for *%s*. The standby in esdr's configuration is an address\n", esdrName, esdrNetHTTPName)
	fmt.Fprintf(&b, "nothing listens on: it never takes traffic. Example wrk command: `%s`. HAProxy configuration:\n\n```\n%s```\n", r.wrkCmd, r.haproxyCfg)
	return b.String()
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "not met"
}

// perRequest is the CPU time per completed request, in microseconds.
func perRequest(r wrkResult) string {
	if r.Requests == 0 || r.CPU == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f µs", float64(r.CPU)/float64(time.Microsecond)/float64(r.Requests))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func signed(d time.Duration) string {
	return fmt.Sprintf("%+.2f ms", float64(d)/float64(time.Millisecond))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// loadavg is the 1, 5 and 15 minute load averages.

// cpuRatio is x's CPU per request over h's, 0 when either is unknown.
func cpuRatio(x, h wrkResult) float64 {
	if x.CPU <= 0 || h.CPU <= 0 || x.Requests == 0 || h.Requests == 0 {
		return 0
	}
	return (float64(x.CPU) / float64(x.Requests)) / (float64(h.CPU) / float64(h.Requests))
}
