package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/testbed/poll"
)

// appSample is one request a client sent through HAProxy to the app tier.
func appRequest(ctx context.Context, c *http.Client, base string, op drill.Op, id string) drill.Sample {
	s := drill.Sample{Op: op, Start: time.Now(), DocID: id}
	method, path, body := http.MethodGet, "/search?q=worker:*", ""
	if op == drill.OpIndex {
		method, path = http.MethodPost, "/docs/"+id
		body = fmt.Sprintf(`{"id":%q,"at":%q}`, id, s.Start.UTC().Format(time.RFC3339Nano))
	}
	req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	s.Latency = time.Since(s.Start)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	s.Status, s.Cluster, s.Epoch = res.StatusCode, res.Header.Get("X-Esdr-Cluster"), res.Header.Get("X-Esdr-Epoch")
	if !s.OK() {
		s.Err = fmt.Sprintf("HTTP %d: %s", s.Status, bytes.TrimSpace(msg))
	}
	return s
}

// appLoad sends, from each worker, an index then a search request every `every` until ctx ends.
func appLoad(ctx context.Context, base string, workers int, every time.Duration) []drill.Sample {
	c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var mu sync.Mutex
	var all []drill.Sample
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(every)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				op, id := drill.OpSearch, ""
				if i%2 == 0 {
					op, id = drill.OpIndex, "w"+strconv.Itoa(w)+"-"+strconv.Itoa(i)
				}
				x := appRequest(context.WithoutCancel(ctx), c, base, op, id)
				mu.Lock()
				all = append(all, x)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return all
}

// TestPerlAppDrill is the application tier's drill: HAProxy (deploy/haproxy/app-tier.cfg)
// in front of three Starman servers running examples/perl-app on Esdr::Elasticsearch in
// proxy mode, esdr in front of the OpenSearch 2 primary and standby. Every primary node is
// killed, then one app server. No Perl process may restart, HAProxy must mark the dead
// server down and keep serving, every acknowledged write must be on the cluster that
// acknowledged it, and reads must recover.
func TestPerlAppDrill(t *testing.T) {
	needTools(t, "starman", "haproxy", "perl")
	root := repoRoot(t)
	const index = "perl-drill"
	p := clusters(t, "opensearch2")
	ctx := context.Background()
	if err := drill.Prepare(ctx, esOf(t, p.primary), index, 1); err != nil {
		t.Fatal(err)
	}
	if err := drill.Prepare(ctx, esOf(t, p.standby), index, 0); err != nil {
		t.Fatal(err)
	}
	s := defaults()
	s.proxy = true
	e := startSettled(t, p, s)

	env := []string{"ESDR_PROXY_URL=" + e.proxyURL, "ESDR_PRODUCT_CHECK=0", "APP_INDEX=" + index, "HEALTH_TIMEOUT=2"}
	apps := []*starman{startStarman(t, root, env), startStarman(t, root, env), startStarman(t, root, env)}
	h := startHAProxy(t, root, apps)
	t.Cleanup(func() {
		if t.Failed() {
			var checks []string // state changes with their reasons, not the access log
			for _, l := range strings.Split(h.proc.Output(), "\n") {
				if strings.Contains(l, "Server app_servers/") && !strings.HasPrefix(l, "[") {
					checks = append(checks, l)
				}
			}
			t.Logf("haproxy server state changes:\n%s", strings.Join(checks, "\n"))
		}
	})
	pids := make([][]int, len(apps))
	for i, a := range apps {
		pids[i] = a.pids(t)
	}

	lctx, stop := context.WithCancel(ctx)
	done := make(chan []drill.Sample, 1)
	go func() { done <- appLoad(lctx, h.url, 4, 50*time.Millisecond) }()
	waitExecuted(t, p.primary, 30, detectBound) // the app tier's load reaches the primary

	faultAt := time.Now()
	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	e.waitActive("standby", 2, detectBound)
	waitExecuted(t, p.standby, 30, detectBound) // and, through the same app processes, the standby

	// Kill an app server only once HAProxy sees all three up, so "marked down" below is
	// this kill's doing.
	poll.Eventually(t, "haproxy: every app server UP before the app kill", 60*time.Second, func() bool {
		st, err := h.stat()
		return err == nil && st["app1"] == "UP" && st["app2"] == "UP" && st["app3"] == "UP"
	})
	appKillAt := time.Now()
	victim := apps[1]
	victim.kill(t)
	var markedDown time.Time
	poll.Eventually(t, "haproxy marks app2 down", 60*time.Second, func() bool {
		st, err := h.stat()
		if err == nil && strings.HasPrefix(st["app2"], "DOWN") {
			markedDown = time.Now()
			return true
		}
		return false
	})
	// Requests after HAProxy marked app2 down reached the standby through the survivors:
	// "none failed after the mark" below is about requests that happened.
	waitExecuted(t, p.standby, 30, detectBound)
	stop()
	samples := <-done

	// No Perl process restarted: the survivors' masters and workers are the same pids.
	for i, a := range apps {
		if a == victim {
			continue
		}
		now := a.pids(t)
		slices.Sort(now)
		before := slices.Clone(pids[i])
		slices.Sort(before)
		if !slices.Equal(now, before) {
			t.Errorf("app%d: pids %v became %v: a Perl process restarted", i+1, before, now)
		}
	}
	st, err := h.stat()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st["app2"], "DOWN") || st["app1"] != "UP" || st["app3"] != "UP" {
		t.Errorf("haproxy states after the drill: %v", st)
	}

	sum := drill.Summarize(samples, faultAt)
	t.Logf("drill through HAProxy → Starman → esdr proxy: %+v", sum)
	var esReads, esWrites, appFailed, afterDown int
	var firstOK time.Time // first success answered by the standby
	var lastFail time.Time
	for _, x := range samples {
		switch {
		case x.OK():
			if x.Cluster == "standby" && x.Start.After(faultAt) && (firstOK.IsZero() || x.Start.Before(firstOK)) {
				firstOK = x.Start
			}
			continue
		case x.Start.After(markedDown):
			afterDown++
			t.Errorf("failed after HAProxy marked app2 down: %s %s %s", x.Op, x.Start.Format("15:04:05.000"), x.Err)
		case x.Start.After(appKillAt):
			appFailed++
		case x.Op == drill.OpSearch:
			esReads++
		default:
			esWrites++
		}
		if x.Start.After(lastFail) {
			lastFail = x.Start
		}
		t.Logf("failed %s %s at %s: %s", x.Op, x.DocID, x.Start.Format("15:04:05.000"), x.Err)
	}
	if sum.Before != "primary" || sum.After != "standby" {
		t.Fatalf("served by %q then %q, want primary then standby", sum.Before, sum.After)
	}
	// Reads recovered: every read in the last two seconds succeeded, on the standby.
	end := samples[len(samples)-1].Start
	for _, x := range samples {
		if x.Op == drill.OpSearch && x.Start.After(end.Add(-2*time.Second)) && (!x.OK() || x.Cluster != "standby") {
			t.Errorf("read at the end not served by the standby: %+v", x)
		}
	}

	restartCluster(t, p.primary)
	checkAcked(t, p, index, samples)

	recovery := time.Duration(0)
	if !firstOK.IsZero() {
		recovery = firstOK.Sub(faultAt)
	}
	body := fmt.Sprintf(`HAProxy 2.6 (deploy/haproxy/app-tier.cfg) → 3 Starman servers (examples/perl-app, 2 workers each,
Esdr::Elasticsearch in proxy mode) → esdr proxy → OpenSearch 2 primary (3 nodes) / standby (1 node).
4 client workers, each an index then a search every 50 ms. Every primary node killed (SIGKILL), then one
Starman server (master and workers, SIGKILL) once esdr had failed over.

| measure | value |
|---|---|
| requests | %d (%d reads, %d writes) |
| acknowledged writes, all found on the cluster that acknowledged them | %d |
| failed during the cluster failover | %d reads, %d writes |
| failed after the app server kill, before HAProxy marked it down | %d |
| failed after HAProxy marked it down | %d |
| cluster kill → first success served by the standby | %s |
| app server kill → HAProxy marked it down | %s |
| Perl processes restarted | 0 |
| latency p50 / p99 (successes) | %s / %s |`,
		sum.Requests, sum.Reads, sum.Writes, sum.AckedWrites, esReads, esWrites,
		appFailed, afterDown, recovery.Round(time.Millisecond), markedDown.Sub(appKillAt).Round(time.Millisecond),
		sum.P50.Round(time.Millisecond), sum.P99.Round(time.Millisecond))
	t.Logf("\n%s", body)
	if os.Getenv("ESDR_RECORD_BENCH") == "1" && !t.Failed() {
		cmd := "ESDR_RECORD_BENCH=1 go test -race -count=1 -run TestPerlAppDrill ./e2e"
		if err := report.Section(filepath.Join(root, "docs/benchmarks.md"), "perl-drill", cmd, body); err != nil {
			t.Fatal(err)
		}
	}
}
