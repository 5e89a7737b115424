package proxy

import (
	"net/http"
	"net/http/httptest"
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
	m.requestDone("east", 4*time.Millisecond)
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

// TestRequestDuration: the client-facing time of a request proxied to a cluster is
// recorded under that cluster, through the Config.Wrap esdr's daemon installs.
func TestRequestDuration(t *testing.T) {
	b := newBackend(t, "a1", nil)
	var m *Metrics // set once the harness made it; Wrap runs per request
	cfg := Config{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.Instrument(h).ServeHTTP(w, r) })
	}}
	h := startProxy(t, cfg, newRouter("east", 1, b.url()), &fakeProber{})
	m = h.px.m
	h.do(t, "GET", "/", "")
	h.do(t, "GET", "/", "")
	if got := durationCounts(t, h.reg); len(got) != 1 || got["east"] != 2 {
		t.Errorf("request duration counts %v, want east: 2 only", got)
	}
}

// TestInstrumentWithoutCluster: an answer that names no cluster is "none", and a
// handler that aborts (a response cut short) is still timed.
func TestInstrumentWithoutCluster(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	func() {
		defer func() { _ = recover() }()
		m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set(headerCluster, "west")
			panic(http.ErrAbortHandler)
		})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if got := durationCounts(t, reg); len(got) != 2 || got["none"] != 1 || got["west"] != 1 {
		t.Errorf("request duration counts %v, want none: 1, west: 1", got)
	}
	var none *Metrics
	if h := http.NotFoundHandler(); none.Instrument(h) == nil {
		t.Error("a nil *Metrics must return the handler unchanged")
	}
}

// durationCounts is how many requests esdr_proxy_request_duration_seconds counted, by cluster.
func durationCounts(t *testing.T, g prometheus.Gatherer) map[string]uint64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "esdr_proxy_request_duration_seconds" {
			continue
		}
		for _, mm := range mf.GetMetric() {
			for _, l := range mm.GetLabel() {
				if l.GetName() == "cluster" {
					out[l.GetValue()] = mm.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return out
}
