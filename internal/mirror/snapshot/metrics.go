package snapshot

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterMetrics exports the sync's Stats on reg: the age of the last good snapshot
// (the recovery point for writes made around esdr), the cycles run and failed, and
// whether a cycle is running; and, from leading, whether this esdr runs the sync at all
// (a fleet member that does not lead keeps an age that grows from its own start, so the
// age is alerted on only where leading is 1). The values are read when scraped.
func RegisterMetrics(reg prometheus.Registerer, s *Sync, leading func() bool) error {
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_snapshot_leading",
			Help: "1 on the esdr that runs snapshot sync (the embedded default, or the fleet's leader), 0 on members that do not: the age is this esdr's own view, alert on it where this is 1."},
			func() float64 { return boolGauge(leading()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_snapshot_last_good_age_seconds",
			Help: "Age of the other cluster's copy of the snapshot-synced indices (the cluster restored on): seconds since the last good cycle's snapshot began (before any, since esdr started)."},
			func() float64 { return s.Stats().Age.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "esdr_snapshot_cycles_total",
			Help: "Snapshot sync cycles run, good or failed, since esdr started."},
			func() float64 { return float64(s.Stats().Cycles) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "esdr_snapshot_failures_total",
			Help: "Snapshot sync cycles that failed since esdr started."},
			func() float64 { return float64(s.Stats().Failures) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_snapshot_waiting",
			Help: "1 while the cluster to restore on is fenced (after a failover or a failback) and the sync waits for esdr resync --to it."},
			func() float64 { return boolGauge(s.Stats().Waiting != "") }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_snapshot_kept",
			Help: "Snapshots of a cluster's own copy kept before the sync first restored over it after traffic moved (<prefix>.kept-*), as the last good cycle counted them in the repository; delete them once nothing in them is needed (-1: not known)."},
			func() float64 { return float64(s.Stats().KeptInRepository) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esdr_snapshot_running",
			Help: "1 while a snapshot sync cycle runs."},
			func() float64 { return boolGauge(s.Stats().Running) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("snapshot: metrics: %w", err)
		}
	}
	return nil
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
