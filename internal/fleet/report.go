package fleet

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// reportEvery is how often a Reporter refreshes its gauges: the fleet changes on the
// scale of session TTLs, not milliseconds.
const reportEvery = 2 * time.Second

// Reporter exports what a member knows of the fleet as metrics, beside the leadership
// gauges every Member has: how many members are alive, how old this member's view of
// the epoch is (its proxy fails closed past the bound), and the leader's findings.
type Reporter struct {
	members  prometheus.Gauge
	epochAge prometheus.Gauge
	findings *prometheus.GaugeVec
}

// NewReporter registers the fleet gauges on reg (nil keeps them unexported).
func NewReporter(reg prometheus.Registerer) (*Reporter, error) {
	r := &Reporter{
		members: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_fleet_members", Help: "Live members of the fleet (those whose etcd session lasts), as this member last read them.",
		}),
		epochAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_fleet_epoch_age_seconds", Help: "Seconds since etcd last confirmed this member's view of the epoch; -1 before the first confirmation. The proxy fails closed past fleet.stale_after.",
		}),
		findings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "esdr_fleet_findings", Help: "Findings across vantage points in force on the leader, by code (partitioned-from-primary, no-quorum); 0 on other members.",
		}, []string{"code"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{r.members, r.epochAge, r.findings} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range []decide.Code{decide.CodePartitionedFromPrimary, decide.CodeNoQuorum} {
		r.findings.WithLabelValues(string(c)).Set(0)
	}
	return r, nil
}

// epochAger says how long ago the epoch this member follows was confirmed.
type epochAger interface {
	Record() (state.Record, time.Duration)
}

// Run refreshes the gauges until ctx ends. findings returns the leader's findings (nil
// when this member does not lead). A failed read of the members keeps the last count.
func (r *Reporter) Run(ctx context.Context, m *Member, w epochAger, findings func() []decide.Finding) error {
	tick := time.NewTicker(reportEvery)
	defer tick.Stop()
	for {
		if ms, err := m.Members(ctx); err == nil {
			r.members.Set(float64(len(ms)))
		}
		if _, age := w.Record(); age >= 0 {
			r.epochAge.Set(age.Seconds())
		} else {
			r.epochAge.Set(-1)
		}
		counts := map[decide.Code]int{decide.CodePartitionedFromPrimary: 0, decide.CodeNoQuorum: 0}
		for _, f := range findings() {
			counts[f.Code]++
		}
		for c, n := range counts {
			r.findings.WithLabelValues(string(c)).Set(float64(n))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
