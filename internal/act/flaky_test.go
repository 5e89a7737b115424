package act

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/state"
)

// errStoreDown is what flakyStore answers while it is down.
var errStoreDown = errors.New("flaky: input/output error")

// flakyStore is the real bbolt store with failures injected on chosen calls. Once a
// chosen call fails the store stays down — every call fails — until up(): an etcd
// timeout or a full disk lasts a while, so the plan's error path (events included)
// gets no write through either. Events, read by the test, always pass.
type flakyStore struct {
	*state.File
	mu sync.Mutex
	// failOn, when set, picks the call that brings the store down: op is load, get,
	// put, delete or append; key is bucket/key for the key/value calls.
	failOn func(op, key string) bool
	down   bool
	failed int // calls refused so far
	// cause, when set, is what a refused call wraps instead of errStoreDown.
	cause error
}

func (f *flakyStore) check(op, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.down && f.failOn != nil && f.failOn(op, key) {
		f.down, f.failOn = true, nil
	}
	if f.down {
		f.failed++
		cause := errStoreDown
		if f.cause != nil {
			cause = f.cause
		}
		return fmt.Errorf("flaky: %s %s: %w", op, key, cause)
	}
	return nil
}

// failNext brings the store down at the next call of op.
func (f *flakyStore) failNext(op string) {
	f.mu.Lock()
	f.failOn = func(o, _ string) bool { return o == op }
	f.mu.Unlock()
}

func (f *flakyStore) up() {
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
}

func (f *flakyStore) Load(ctx context.Context) (state.Record, error) {
	if err := f.check("load", ""); err != nil {
		return state.Record{}, err
	}
	return f.File.Load(ctx)
}

func (f *flakyStore) Get(ctx context.Context, bucket, key string) ([]byte, bool, error) {
	if err := f.check("get", bucket+"/"+key); err != nil {
		return nil, false, err
	}
	return f.File.Get(ctx, bucket, key)
}

func (f *flakyStore) Put(ctx context.Context, bucket, key string, val []byte) error {
	if err := f.check("put", bucket+"/"+key); err != nil {
		return err
	}
	return f.File.Put(ctx, bucket, key, val)
}

func (f *flakyStore) Delete(ctx context.Context, bucket, key string) error {
	if err := f.check("delete", bucket+"/"+key); err != nil {
		return err
	}
	return f.File.Delete(ctx, bucket, key)
}

func (f *flakyStore) Append(ctx context.Context, events ...state.Event) ([]state.Event, error) {
	if err := f.check("append", ""); err != nil {
		return nil, err
	}
	return f.File.Append(ctx, events...)
}

// flakyExecutor is r's executor over a flakyStore wrapping r's real store.
func flakyExecutor(t *testing.T, r *rig) (*Executor, *flakyStore) {
	t.Helper()
	fs := &flakyStore{File: r.st}
	o := r.options()
	e, err := New(fs, o)
	if err != nil {
		t.Fatal(err)
	}
	return e, fs
}

// wantInterrupted checks what a plan a store failure stopped looks like: Act's error is
// the store's, and wantFailed.
func wantInterrupted(t *testing.T, e *Executor, err error, count float64) *Plan {
	t.Helper()
	var se *storeError
	if !errors.As(err, &se) || !errors.Is(err, errStoreDown) || !strings.Contains(err.Error(), "retried from the journal") {
		t.Fatalf("error = %v, want the store's, saying the plan is retried", err)
	}
	return wantFailed(t, e, count)
}

// wantFailed checks that Current says failed with the store's error, and that count
// store failures were counted.
func wantFailed(t *testing.T, e *Executor, count float64) *Plan {
	t.Helper()
	p := e.Current()
	if p == nil || p.Status != StatusFailed || !strings.Contains(p.StoreError, errStoreDown.Error()) {
		t.Fatalf("Current() = %+v, want failed with the store error", p)
	}
	if n := testutil.ToFloat64(e.m.storeErrors); n != count {
		t.Errorf("esdr_plan_store_errors_total = %v, want %v", n, count)
	}
	return p
}

// wantDone checks that the plan of epoch ended done, in the journal and in Current, and
// that the store failure was recorded as an event once the store took writes again.
func wantDone(t *testing.T, e *Executor, r *rig, epoch uint64, faults int) {
	t.Helper()
	if p := stored(t, r.st, epoch); p.Status != StatusDone {
		t.Fatalf("journal: plan %s %q", p.Status, statuses(p))
	}
	if p := e.Current(); p == nil || p.Status != StatusDone || p.StoreError != "" || p.Epoch != epoch {
		t.Fatalf("Current() = %+v", p)
	}
	evs := strings.Join(actedEvents(t, r.st), "\n")
	want := fmt.Sprintf("plan for epoch %d interrupted by the state store %d time(s)", epoch, faults)
	if !strings.Contains(evs, want) || !strings.Contains(evs, errStoreDown.Error()) {
		t.Errorf("events lack %q:\n%s", want, evs)
	}
	if !strings.Contains(evs, fmt.Sprintf("plan for epoch %d done", epoch)) {
		t.Errorf("no done event:\n%s", evs)
	}
}
