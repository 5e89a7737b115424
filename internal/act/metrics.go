package act

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stepBuckets span 10ms to 2 minutes: a settings write takes milliseconds, a Route 53
// change waiting for INSYNC tens of seconds, and a step retried to its bound longer.
var stepBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

// metrics are the executor's collectors, registered on the Registerer it is given.
type metrics struct {
	steps    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	running  prometheus.Gauge
	fences   prometheus.Gauge
	// storeErrors counts plans interrupted by a failure of the state store.
	storeErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_plan_steps_total",
			Help: "Plan steps that ended, by step kind and outcome (done, failed, deferred, skipped, superseded, vetoed).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "esdr_plan_step_duration_seconds",
			Help:    "Duration of one plan step including its retries, by step kind.",
			Buckets: stepBuckets,
		}, []string{"kind"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_plan_running", Help: "1 while a plan is being executed, 0 otherwise.",
		}),
		fences: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_fences_deferred", Help: "Clusters whose fence could not be applied yet and is being retried.",
		}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esdr_plan_store_errors_total",
			Help: "Times a plan was interrupted because the state store failed (journal write or read, epoch check); the plan is retried from the journal.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	// A fleet member builds a new executor for every term it leads: the later ones take
	// over the collectors the first registered, so the counters carry on.
	var errs [5]error
	m.steps, errs[0] = reuse(reg, m.steps)
	m.duration, errs[1] = reuse(reg, m.duration)
	m.running, errs[2] = reuse(reg, m.running)
	m.fences, errs[3] = reuse(reg, m.fences)
	m.storeErrors, errs[4] = reuse(reg, m.storeErrors)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return m, nil
}

// reuse registers c, or returns the collector of the same description already there.
func reuse[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(T); ok {
			return old, nil
		}
	}
	return c, fmt.Errorf("act: metrics: %w", err)
}

// step records a step that ended. A superseded step never ran, so it has no duration.
func (m *metrics) step(kind StepKind, outcome Status, took time.Duration) {
	m.steps.WithLabelValues(string(kind), string(outcome)).Inc()
	if outcome != StatusSuperseded && outcome != StatusSkipped {
		m.duration.WithLabelValues(string(kind)).Observe(took.Seconds())
	}
}
