package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
)

// planCtl answers like fakeCtl, with a current plan.
type planCtl struct {
	*fakeCtl
	plan *act.Plan
}

func (p planCtl) Status(ctx context.Context) (admin.Status, error) {
	st, err := p.fakeCtl.Status(ctx)
	st.Plan = p.plan
	return st, err
}

// TestStatusPagePlanStoreErrorInChromium renders a plan the state store interrupted:
// the page says so, with the store's error, next to the plan's status and its steps
// (which may be ahead of the journal).
func TestStatusPagePlanStoreErrorInChromium(t *testing.T) {
	p := &act.Plan{Epoch: 3, Action: decide.ActFailover, From: "west", To: "east", At: t0, Status: act.StatusFailed,
		StoreError: "act: plan for epoch 3: switch a done not journaled: state: etcd timeout",
		Steps:      []act.Step{{Kind: act.StepSwitch, Name: "a", Epoch: 3, Status: act.StatusDone, Attempts: 1}}}
	dom := renderedDOM(t, serve(t, planCtl{fakeCtl: &fakeCtl{}, plan: p})+"/")
	for _, want := range []string{
		`<span class="st st-failed">failed</span>`,
		"the state store failed; retried from the journal: act: plan for epoch 3: switch a done not journaled: state: etcd timeout",
		`<span class="st st-done">done</span> switch a`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
}
