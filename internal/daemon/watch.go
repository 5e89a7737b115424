package daemon

import (
	"log/slog"
	"time"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/metrics"
	"github.com/esdr/esdr/internal/watch"
)

// newWatcher builds the watch step from each cluster's (merged) health configuration.
// Every result is exported as metrics; seen is told of each cluster found answering. A
// result that does not pass is logged at debug level: the rounds below a threshold are
// what a post-mortem of a decision needs, and at info they would repeat every interval.
func newWatcher(cfg *config.Config, m *metrics.Metrics, log *slog.Logger, seen func(cluster string)) (*watch.Watcher, error) {
	targets, err := watch.TargetsFrom(cfg)
	if err != nil {
		return nil, err
	}
	return watch.New(targets, watch.Options{OnResult: func(cluster string, r watch.Result, obs health.Observation, _ bool) {
		m.ObserveProbe(cluster, r.Kind, r.Latency)
		m.ObserveMaster(cluster, r.Master)
		for _, n := range r.Nodes {
			m.ObserveNode(cluster, n.Node, n.Answered, n.Latency)
		}
		m.SetObservation(obs)
		if !r.Kind.Passing() || r.Kind == health.KindStalled {
			log.Debug("probe", "cluster", cluster, "kind", r.Kind, "detail", r.Detail,
				"latency", r.Latency.Round(time.Millisecond), "failures", obs.ConsecutiveFailures, "verdict", obs.Verdict)
		}
		if r.Kind != health.KindUnreachable && r.Kind != health.KindTimeout {
			seen(cluster)
		}
	}})
}
