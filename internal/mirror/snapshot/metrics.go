package snapshot

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterMetrics exports the sync's Stats on reg: the age of the last good snapshot
// (the recovery point for writes made around esdr), the cycles run and failed, and
// whether a cycle is running. The values are read from Stats when scraped.
func RegisterMetrics(reg prometheus.Registerer, s *Sync) error {
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_snapshot_last_good_age_seconds",
			Help: "Age of the standby's copy of the snapshot-synced indices: seconds since the last good cycle's snapshot began (before any, since esdr started)."},
			func() float64 { return s.Stats().Age.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "esdr_snapshot_cycles_total",
			Help: "Snapshot sync cycles run, good or failed, since esdr started."},
			func() float64 { return float64(s.Stats().Cycles) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "esdr_snapshot_failures_total",
			Help: "Snapshot sync cycles that failed since esdr started."},
			func() float64 { return float64(s.Stats().Failures) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_snapshot_running",
			Help: "1 while a snapshot sync cycle runs."},
			func() float64 {
				if s.Stats().Running {
					return 1
				}
				return 0
			}),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("snapshot: metrics: %w", err)
		}
	}
	return nil
}
