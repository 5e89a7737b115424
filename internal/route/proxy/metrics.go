package proxy

import (
	"strconv"
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
	open        prometheus.Gauge
	unavailable prometheus.Counter
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
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_proxy_open_connections", Help: "Client connections open to the proxy.",
		}),
		unavailable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esdr_proxy_unavailable_total",
			Help: "Requests answered 503 because the current epoch could not be told (failing closed).",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.retries, m.upstream, m.open, m.unavailable} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{retryNotDelivered, retryReadFailed, retryFailover, retryBlocked} {
		m.retries.WithLabelValues(r)
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
	m.requests.WithLabelValues(cluster, strconv.Itoa(status/100)+"xx").Inc()
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
		m.upstream.WithLabelValues(cluster).Observe(d.Seconds())
	}
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
