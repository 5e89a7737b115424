package mirror

import (
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// MetricsSource is what the mirror metrics read at scrape time: the replicators (one
// per target, PairReplicators), the journal, the write path, and whether replication
// stopped (until an operator restarts it).
type MetricsSource struct {
	Replicators map[string]*Replicator
	Journal     *Journal
	Mirror      *Mirror
	Stopped     func() bool
}

// lagOps is what both clusters lack, in journaled writes.
func (src MetricsSource) lagOps() float64 {
	return float64(src.Mirror.Pending(src.Mirror.pair.A) + src.Mirror.Pending(src.Mirror.pair.B))
}

// lagSeconds is the age of the oldest write either cluster lacks.
func (src MetricsSource) lagSeconds() float64 {
	var age float64
	for _, r := range src.Replicators {
		age = max(age, r.Stats().LagAge.Seconds())
	}
	return age
}

// applied is the writes applied to either cluster since esdr started.
func (src MetricsSource) applied() float64 {
	var n uint64
	for _, r := range src.Replicators {
		n += r.Stats().Applied
	}
	return float64(n)
}

// RegisterMetrics exports the lag, the journal's size, the replay counter and the
// answers mirror mode gave itself on reg. The values are read when scraped, so they are
// never stale and cost nothing between scrapes.
func RegisterMetrics(reg prometheus.Registerer, src MetricsSource) error {
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_mirror_lag_ops",
			Help: "Journaled writes not yet applied to the other cluster of the pair (both directions)."},
			src.lagOps),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_mirror_lag_seconds",
			Help: "Age of the oldest journaled write not yet applied (0 when caught up)."},
			src.lagSeconds),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_mirror_journal_bytes",
			Help: "Bytes of journal segments on disk."},
			func() float64 { return float64(src.Journal.Stats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_mirror_journal_max_bytes",
			Help: "The journal's bound (mirror.max_bytes); writes are refused past it."},
			func() float64 { return float64(src.Journal.Stats().MaxBytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "esdr_mirror_applied_total",
			Help: "Journaled writes applied to the other cluster since esdr started."},
			src.applied),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_mirror_replication_stopped",
			Help: "1 while a replication is stopped (a refused record, a corrupt journal): a human must fix the cause and run esdr mirror restart."},
			func() float64 {
				if src.Stopped() {
					return 1
				}
				return 0
			}),
	}
	for _, typ := range slices.Sorted(maps.Keys(src.Mirror.Answers())) {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "esdr_mirror_answers_total",
			Help:        "Requests mirror mode answered itself instead of the active cluster, by error type.",
			ConstLabels: prometheus.Labels{"type": typ}},
			func() float64 { return float64(src.Mirror.Answers()[typ]) }))
	}
	cs = append(cs, src.Journal.fsyncs)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("mirror: metrics: %w", err)
		}
	}
	return nil
}
