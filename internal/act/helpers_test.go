package act

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fastRetry keeps bounded retries quick in tests; the bound, not the clock, is asserted.
var fastRetry = Retry{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
	MaxElapsed: 10 * time.Second, AttemptTimeout: 5 * time.Second}

// openStore opens a real bbolt store in t.TempDir().
func openStore(t *testing.T, dir string) *state.File {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := state.OpenFile(filepath.Join(dir, "state.db"), state.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// commit stores a transition from → to at epoch, as the control loop would, and
// returns the state and decision the loop hands to Act.
func commit(t *testing.T, st *state.File, action decide.Action, from, to string, epoch uint64) (decide.State, decide.Decision) {
	t.Helper()
	ctx := context.Background()
	rec, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := decide.Decision{Action: action, From: from, To: to, Epoch: epoch, Code: decide.CodeActiveDown, Reason: from + " is down"}
	s := decide.State{Active: to, Epoch: epoch, ActiveSince: t0,
		LastTransition: &decide.Transition{Kind: action, From: from, To: to, Epoch: epoch, Code: d.Code, Reason: d.Reason, At: t0}}
	if _, _, err := st.CommitDecision(ctx, rec.Revision, s); err != nil {
		t.Fatal(err)
	}
	return s, d
}

// journal is the shared record of every side effect, in order, across fakes.
type journal struct {
	mu  sync.Mutex
	ops []string
}

func (j *journal) add(op string) {
	j.mu.Lock()
	j.ops = append(j.ops, op)
	j.mu.Unlock()
}

func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.ops...)
}

// fakeTarget holds an epoch like the etcd target does: a switch for an older epoch is
// refused, one for the held epoch changes nothing. changes counts real changes.
type fakeTarget struct {
	name    string
	j       *journal
	mu      sync.Mutex
	calls   int
	changes int
	held    uint64
	to      string
	fail    int // fail this many calls first
	onApply func(ctx context.Context, sw Switch) error
}

func (f *fakeTarget) Name() string { return f.name }

func (f *fakeTarget) Apply(ctx context.Context, sw Switch) error {
	f.mu.Lock()
	f.calls++
	hook, failing := f.onApply, f.fail > 0
	if failing {
		f.fail--
	}
	f.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, sw); err != nil {
			return err
		}
	}
	if failing {
		return errors.New("fake: temporarily broken")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if sw.Epoch < f.held {
		return errors.New("fake: older epoch refused")
	}
	if sw.Epoch > f.held || sw.To != f.to {
		f.held, f.to = sw.Epoch, sw.To
		f.changes++
		if f.j != nil {
			f.j.add("switch " + f.name + " → " + sw.To)
		}
	}
	return nil
}

func (f *fakeTarget) counts() (calls, changes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.changes
}

// fakeSettings is a cluster's settings endpoint. err, while set, is returned instead.
type fakeSettings struct {
	name string
	j    *journal
	mu   sync.Mutex
	puts int
	ro   any
	err  error
}

func (f *fakeSettings) PutClusterSettings(_ context.Context, s map[string]any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if f.err != nil {
		return f.err
	}
	v := s[readOnly]
	f.ro = v
	if f.j != nil {
		if v == true {
			f.j.add("fence " + f.name)
		} else {
			f.j.add("unfence " + f.name)
		}
	}
	return nil
}

func (f *fakeSettings) state() (puts int, ro any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts, f.ro
}

func (f *fakeSettings) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// refused is what esclient returns for a node that refuses connections.
var refused = &esclient.NodeError{Node: "http://127.0.0.1:1", Op: "PUT /_cluster/settings",
	Kind: esclient.KindUnreachable, Err: errors.New("connection refused")}

// rig is an executor over a real store with two fenced clusters and two targets.
type rig struct {
	st         *state.File
	dir        string
	j          *journal
	east, west *fakeSettings
	a, b       *fakeTarget
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	j := &journal{}
	r := &rig{dir: dir, j: j, st: openStore(t, dir),
		east: &fakeSettings{name: "east", j: j}, west: &fakeSettings{name: "west", j: j},
		a: &fakeTarget{name: "a", j: j}, b: &fakeTarget{name: "b", j: j}}
	t.Cleanup(func() { r.st.Close() })
	return r
}

func (r *rig) options() Options {
	return Options{
		Clusters: map[string]Cluster{
			"east": {Nodes: []string{"http://east:9200"}, Settings: r.east},
			"west": {Nodes: []string{"http://west:9200"}, Settings: r.west},
		},
		Targets: []Target{r.a, r.b},
		Retry:   fastRetry,
		Now:     func() time.Time { return t0 },
	}
}

func (r *rig) executor(t *testing.T, mod func(*Options)) *Executor {
	t.Helper()
	o := r.options()
	if mod != nil {
		mod(&o)
	}
	e, err := New(r.st, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// stored reads the journaled plan of epoch.
func stored(t *testing.T, st *state.File, epoch uint64) *Plan {
	t.Helper()
	p, err := loadPlan(context.Background(), st, epoch)
	if err != nil || p == nil {
		t.Fatalf("plan %d: %v, %v", epoch, p, err)
	}
	return p
}

func statuses(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.Kind)+" "+s.Name+": "+string(s.Status))
	}
	return out
}

// actedEvents returns the messages of every "acted" and "refused" event.
func actedEvents(t *testing.T, st *state.File) []string {
	t.Helper()
	evs, err := st.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Kind == state.EventActed || e.Kind == state.EventRefused {
			out = append(out, string(e.Kind)+": "+e.Message)
		}
	}
	return out
}

// waitFor yields briefly so a background goroutine can make progress; loops around it
// are bounded by the test's own deadline, never asserted on time.
func waitFor(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-time.After(5 * time.Millisecond):
	}
}
