package proxy

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a request was sent again, the closed set of esdr_proxy_retries_total's label.
const (
	retryNotDelivered = "not_delivered" // the node never received it (dial refused, reset before sending)
	retryReadFailed   = "read_failed"   // a read failed after it was sent; it is safe to repeat
	retryFailover     = "failover"      // it followed a new epoch to another cluster
	retryBlocked      = "write_blocked" // the new active still had its read-only block; not applied
)

// upstreamBuckets span 1ms to 60s: a local node answers in a millisecond, a heavy search
// in seconds, and the response header timeout defaults to 60s.
var upstreamBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics are the proxy's collectors. A nil *Metrics records nothing.
type Metrics struct {
	requests    *prometheus.CounterVec
	retries     *prometheus.CounterVec
	upstream    *prometheus.HistogramVec
	duration    *prometheus.HistogramVec
	open        prometheus.Gauge
	unavailable prometheus.Counter
	refused     prometheus.Counter
	timeouts    *prometheus.CounterVec

	// byCluster caches each cluster's series (copy on write: read on every request,
	// written once per cluster), so the hot path skips WithLabelValues, which hashes
	// its labels, takes a lock and builds the code_class string each time.
	byCluster atomic.Pointer[map[string]*series]
	addMu     sync.Mutex
}

// series are one cluster's children of the labelled collectors, each created on first use
// so that only series that happened are exported, as before the cache.
type series struct {
	byClass  [6]atomic.Pointer[prometheus.Counter] // index status/100
	upstream atomic.Pointer[prometheus.Observer]
	duration atomic.Pointer[prometheus.Observer]
}

// NewMetrics creates the proxy's collectors and registers them on reg. Registering twice
// on one registerer is an error.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_proxy_requests_total",
			Help: "Requests answered by the proxy, by cluster (none when no cluster was chosen) and status class.",
		}, []string{"cluster", "code_class"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_proxy_retries_total",
			Help: "Requests sent again after a failed attempt, by reason.",
		}, []string{"reason"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "esdr_proxy_upstream_duration_seconds", Help: "Time from sending a request to a node to its response headers.",
			Buckets: upstreamBuckets,
		}, []string{"cluster"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "esdr_proxy_request_duration_seconds",
			Help:    "Time from a client's request to its answer sent in full, as the client sees it (retries, failover waits and mirror journaling included), by cluster that answered (none when none did).",
			Buckets: upstreamBuckets,
		}, []string{"cluster"}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_proxy_open_connections", Help: "Client connections open to the proxy.",
		}),
		unavailable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esdr_proxy_unavailable_total",
			Help: "Requests answered 503 because the current epoch could not be told (failing closed).",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esdr_proxy_connections_refused_total",
			Help: "Client connections answered 503 and closed because proxy.max_connections were open.",
		}),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_proxy_client_timeouts_total",
			Help: "Client requests cut because the client stopped sending its body (what=body: proxy.body_timeout, proxy.min_body_rate) or stopped reading its answer (what=answer: proxy.write_timeout).",
		}, []string{"what"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.retries, m.upstream, m.duration, m.open, m.unavailable, m.refused, m.timeouts} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{retryNotDelivered, retryReadFailed, retryFailover, retryBlocked} {
		m.retries.WithLabelValues(r)
	}
	for _, w := range []string{timeoutBody, timeoutAnswer} {
		m.timeouts.WithLabelValues(w)
	}
	return m, nil
}

func (m *Metrics) request(cluster string, status int) {
	if m == nil {
		return
	}
	if cluster == "" {
		cluster = "none"
	}
	c := status / 100
	label := func() prometheus.Counter { return m.requests.WithLabelValues(cluster, strconv.Itoa(c)+"xx") }
	if c < 1 || c >= len(series{}.byClass) {
		label().Inc()
		return
	}
	child(&m.seriesOf(cluster).byClass[c], label).Inc()
}

// child returns the collector child cached in p, creating it with get on first use.
// Two first uses at once both call get, which returns the same child both times.
func child[T any](p *atomic.Pointer[T], get func() T) T {
	if v := p.Load(); v != nil {
		return *v
	}
	v := get()
	p.Store(&v)
	return v
}

// seriesOf returns the cached series of cluster, adding them on first use.
func (m *Metrics) seriesOf(cluster string) *series {
	if all := m.byCluster.Load(); all != nil {
		if s, ok := (*all)[cluster]; ok {
			return s
		}
	}
	m.addMu.Lock()
	defer m.addMu.Unlock()
	next := map[string]*series{}
	if old := m.byCluster.Load(); old != nil {
		if s, ok := (*old)[cluster]; ok {
			return s
		}
		maps.Copy(next, *old)
	}
	s := &series{}
	next[cluster] = s
	m.byCluster.Store(&next)
	return s
}

func (m *Metrics) connRefused() {
	if m != nil {
		m.refused.Inc()
	}
}

func (m *Metrics) clientTimedOut(what string) {
	if m != nil {
		m.timeouts.WithLabelValues(what).Inc()
	}
}

func (m *Metrics) failedClosed() {
	if m != nil {
		m.unavailable.Inc()
	}
}

func (m *Metrics) retry(reason string) {
	if m != nil {
		m.retries.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) upstreamDone(cluster string, d time.Duration) {
	if m != nil {
		child(&m.seriesOf(cluster).upstream, func() prometheus.Observer {
			return m.upstream.WithLabelValues(cluster)
		}).Observe(d.Seconds())
	}
}

// Instrument wraps the proxy's handler, with whatever is around it (mirror mode's write
// path), to time each request as its client sees it: from the handler's start until it
// returns, the answer written in full or cut short. The cluster is the one the answer
// names in X-Esdr-Cluster, "none" when no cluster was chosen. A nil *Metrics returns h.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() { m.requestDone(w.Header().Get(headerCluster), time.Since(start)) }()
		h.ServeHTTP(w, r)
	})
}

func (m *Metrics) requestDone(cluster string, d time.Duration) {
	if cluster == "" {
		cluster = "none"
	}
	child(&m.seriesOf(cluster).duration, func() prometheus.Observer {
		return m.duration.WithLabelValues(cluster)
	}).Observe(d.Seconds())
}

func (m *Metrics) connOpened() {
	if m != nil {
		m.open.Inc()
	}
}

func (m *Metrics) connClosed() {
	if m != nil {
		m.open.Dec()
	}
}
