package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metric returns the value of the sample whose name and labels match exactly, as
// written on /metrics (for example `esdr_failovers_total{reason="active-down"}`), and
// whether it was found.
func (e *esdr) metric(sample string) (float64, bool) {
	e.t.Helper()
	var v float64
	found := false
	e.scanMetrics(func(s string, x float64) {
		if s == sample {
			v, found = x, true
		}
	})
	return v, found
}

// metricSum is the sum of every sample whose name and labels start with prefix (for
// example `esdr_probe_results_total{cluster="primary",` for every result kind).
func (e *esdr) metricSum(prefix string) float64 {
	e.t.Helper()
	var sum float64
	e.scanMetrics(func(s string, x float64) {
		if strings.HasPrefix(s, prefix) {
			sum += x
		}
	})
	return sum
}

// scanMetrics calls f with every sample on /metrics: its name with labels, and its value.
func (e *esdr) scanMetrics(f func(sample string, v float64)) {
	e.t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + e.Addr + "/metrics")
	if err != nil {
		e.t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("metrics: %q: %v", line, err)
		}
		f(line[:i], v)
	}
}

// waitRounds waits until esdr has finished n more decision rounds than when it was called
// (esdr_decision_rounds_total). A round in flight at the call may have read the world
// before the caller changed it, so n ≥ 2 means at least one whole round saw the change:
// "nothing changed" asserted afterwards is evidence, not the hope a sleep was long enough.
func (e *esdr) waitRounds(n int, within time.Duration) {
	e.t.Helper()
	from, ok := e.metric("esdr_decision_rounds_total")
	if !ok {
		e.t.Fatal("esdr_decision_rounds_total is not on /metrics")
	}
	e.eventually(fmt.Sprintf("%d more decision rounds after %v", n, from), within, func() bool {
		v, _ := e.metric("esdr_decision_rounds_total")
		return v >= from+float64(n)
	})
}

// waitProbes waits until esdr has recorded n more probe results of cluster, of any kind
// (esdr_probe_results_total).
func (e *esdr) waitProbes(cluster string, n int, within time.Duration) {
	e.t.Helper()
	prefix := `esdr_probe_results_total{cluster="` + cluster + `",`
	from := e.metricSum(prefix)
	e.eventually(fmt.Sprintf("%d more probe results of %s after %v", n, cluster, from), within, func() bool {
		return e.metricSum(prefix) >= from+float64(n)
	})
}
