package act

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/state"
)

// store is the part of the state store the executor needs: the stored state (for the
// epoch check before every step), the key/value area (the journal) and the event history.
type store interface {
	Load(ctx context.Context) (state.Record, error)
	Get(ctx context.Context, bucket, key string) ([]byte, bool, error)
	Put(ctx context.Context, bucket, key string, val []byte) error
	Delete(ctx context.Context, bucket, key string) error
	Append(ctx context.Context, events ...state.Event) ([]state.Event, error)
}

// The journal's buckets in the store's key/value area.
const (
	bucketPlans     = "plans"     // epoch → Plan
	bucketFences    = "fences"    // cluster → deferredFence
	bucketApprovals = "approvals" // epoch → approval (a pre hook that said yes)
)

// keepPlans is how many finished plans stay in the journal for status and audit.
const keepPlans = 16

// writeTimeout bounds one journal write made after the caller's context ended: a step
// that did take effect is recorded as done even while esdr shuts down, so that it is
// not run again on restart.
const writeTimeout = 5 * time.Second

// epochKey zero-pads so that keys sort by epoch.
func epochKey(epoch uint64) string { return fmt.Sprintf("%020d", epoch) }

// detached is ctx without its cancellation, bounded by writeTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}

// loadPlan returns the journaled plan for epoch, or nil when there is none.
func loadPlan(ctx context.Context, st store, epoch uint64) (*Plan, error) {
	var p Plan
	ok, err := getJSON(ctx, st, bucketPlans, epochKey(epoch), &p)
	if err != nil || !ok {
		return nil, err
	}
	return &p, nil
}

// savePlan journals p durably; the executor calls it before and after every step.
func savePlan(ctx context.Context, st store, p *Plan) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	return putJSON(ctx, st, bucketPlans, epochKey(p.Epoch), p)
}

// forgetOldPlans drops the plan that has just fallen out of the kept window. Epochs grow
// by one per transition, so deleting one key per finished plan keeps the bucket bounded.
func forgetOldPlans(ctx context.Context, st store, epoch uint64) error {
	if epoch <= keepPlans {
		return nil
	}
	return st.Delete(ctx, bucketPlans, epochKey(epoch-keepPlans))
}

// deferredFence is a fence that could not be applied when its plan ran.
type deferredFence struct {
	Epoch     uint64    `json:"epoch"`
	Since     time.Time `json:"since"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
}

// approval records that the pre hook allowed a transition before it was stored, so the
// plan does not ask again (and cannot veto what is already decided).
type approval struct {
	Epoch    uint64    `json:"epoch"`
	Action   string    `json:"action"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

func (a *approval) matches(t transition) bool {
	return a.Epoch == t.Epoch && a.Action == string(t.Action) && a.From == t.From && a.To == t.To
}

func loadApproval(ctx context.Context, st store, epoch uint64) (*approval, error) {
	var a approval
	ok, err := getJSON(ctx, st, bucketApprovals, epochKey(epoch), &a)
	if err != nil || !ok {
		return nil, err
	}
	return &a, nil
}

func getJSON(ctx context.Context, st store, bucket, key string, v any) (bool, error) {
	b, ok, err := st.Get(ctx, bucket, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("act: journal %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

func putJSON(ctx context.Context, st store, bucket, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("act: journal %s/%s: %w", bucket, key, err)
	}
	if err := st.Put(ctx, bucket, key, b); err != nil {
		return fmt.Errorf("act: journal %s/%s: %w", bucket, key, err)
	}
	return nil
}
