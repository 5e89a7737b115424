package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.request("east", http.StatusOK)
	m.request("", http.StatusServiceUnavailable)
	m.failedClosed()
	m.retry(retryFailover)
	m.upstreamDone("east", 3*time.Millisecond)
	m.connOpened()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice on one registerer succeeded")
	}
	var none *Metrics
	none.request("east", 200) // a nil *Metrics records nothing and does not panic
}

func TestRequestMetrics(t *testing.T) {
	b := newBackend(t, "a1", nil)
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	h.do(t, "GET", "/", "")
	if got := testutil.ToFloat64(h.px.m.requests.WithLabelValues("east", "2xx")); got != 1 {
		t.Errorf("requests{east,2xx} = %v", got)
	}
	if n := testutil.CollectAndCount(h.px.m.upstream); n != 1 {
		t.Errorf("upstream histogram series = %d", n)
	}
	if got := testutil.ToFloat64(h.px.m.open); got < 1 {
		t.Errorf("open connections = %v while the client keeps one alive", got)
	}
}
