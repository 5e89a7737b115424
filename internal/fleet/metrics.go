package fleet

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the member's view of leadership. Without a Registerer they are still
// kept, just not exported.
type metrics struct {
	leader  prometheus.Gauge
	changes prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, name string) (metrics, error) {
	labels := prometheus.Labels{"member": name}
	m := metrics{
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_fleet_leader", ConstLabels: labels,
			Help: "1 while this member leads the fleet, 0 otherwise.",
		}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esdr_fleet_leadership_changes_total", ConstLabels: labels,
			Help: "Times this member gained or lost the leadership.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.leader, m.changes} {
		if err := reg.Register(c); err != nil {
			return m, fmt.Errorf("fleet: register metrics: %w", err)
		}
	}
	return m, nil
}
