package act

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/decide"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	r := newRig(t)
	r.east.setErr(refused)
	e := r.executor(t, func(o *Options) { o.Registerer = reg })
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	want := `
# HELP esdr_plan_steps_total Plan steps that ended, by step kind and outcome (done, failed, deferred, skipped, superseded, vetoed).
# TYPE esdr_plan_steps_total counter
esdr_plan_steps_total{kind="fence",outcome="deferred"} 1
esdr_plan_steps_total{kind="switch",outcome="done"} 2
esdr_plan_steps_total{kind="unfence",outcome="done"} 1
# HELP esdr_plan_running 1 while a plan is being executed, 0 otherwise.
# TYPE esdr_plan_running gauge
esdr_plan_running 0
# HELP esdr_fences_deferred Clusters whose fence could not be applied yet and is being retried.
# TYPE esdr_fences_deferred gauge
esdr_fences_deferred 1
# HELP esdr_plan_store_errors_total Times a plan was interrupted because the state store failed (journal write or read, epoch check); the plan is retried from the journal.
# TYPE esdr_plan_store_errors_total counter
esdr_plan_store_errors_total 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"esdr_plan_steps_total", "esdr_plan_running", "esdr_fences_deferred", "esdr_plan_store_errors_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(e.m.duration); n != 3 {
		t.Errorf("%d duration series, want one per kind run (fence, unfence, switch)", n)
	}
	// A second executor on the same registerer (a fleet member's next term) carries on
	// with the same collectors: its counts add to the first one's.
	e2, err := New(r.st, Options{Registerer: reg})
	if err != nil {
		t.Fatalf("second executor: %v", err)
	}
	if e2.m.steps != e.m.steps || e2.m.fences != e.m.fences || e2.m.storeErrors != e.m.storeErrors {
		t.Error("second executor has collectors of its own, not the registered ones")
	}
	// A collector of another shape under the same name is still refused.
	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "esdr_plan_running", Help: "x", ConstLabels: prometheus.Labels{"a": "b"}}))
	if _, err := New(r.st, Options{Registerer: clash}); err == nil {
		t.Error("a clashing collector was accepted")
	}
}
