package admin_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "s3cret-token-value"

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeCtl is a Controller for pure tests of the HTTP layer: it answers from fixed data,
// records what it was asked, and refuses a switchover to a cluster named "down".
type fakeCtl struct {
	mu    sync.Mutex
	err   error
	cmds  []decide.Command
	after uint64
	limit int
}

func (f *fakeCtl) Status(context.Context) (admin.Status, error) {
	if err := f.failure(); err != nil {
		return admin.Status{}, err
	}
	return admin.Status{
		State:    decide.State{Active: "east", Epoch: 3, ActiveSince: t0},
		Revision: 7,
		Clusters: []admin.ClusterStatus{
			{Name: "east", Role: "primary", Active: true, Observation: health.Observation{Cluster: "east", Verdict: health.VerdictUp, Last: health.KindHealthy, Detail: "3 nodes, status green"}},
			{Name: "west", Role: "standby", Observation: health.Observation{Cluster: "west", Verdict: health.VerdictDown, Last: health.KindUnreachable, Detail: "connection refused by every node"}},
		},
		LastDecision: decide.Decision{Action: decide.ActNone, Epoch: 3, Code: decide.CodeActiveHealthy, Reason: "east passes its checks"},
	}, nil
}

func (f *fakeCtl) Endpoint(context.Context) (epoch.Endpoint, error) {
	if err := f.failure(); err != nil {
		return epoch.Endpoint{}, err
	}
	return epoch.Endpoint{Cluster: "east", Epoch: 3, Nodes: []string{"http://127.0.0.1:9200"}}, nil
}

func (f *fakeCtl) Events(_ context.Context, after uint64, limit int) ([]state.Event, error) {
	if err := f.failure(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.after, f.limit = after, limit
	f.mu.Unlock()
	return []state.Event{
		{Seq: after + 1, At: t0, Kind: state.EventDecided, Code: decide.CodeStarting, To: "east", Epoch: 1, Message: "esdr takes the preferred cluster east"},
		{Seq: after + 2, At: t0.Add(time.Minute), Kind: state.EventObserved, Cluster: "west", Epoch: 1, Message: "west is down"},
	}, nil
}

func (f *fakeCtl) Command(_ context.Context, cmd decide.Command) (decide.Decision, error) {
	if err := f.failure(); err != nil {
		return decide.Decision{}, err
	}
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	switch {
	case cmd.Kind == decide.CmdSwitchover && cmd.To == "down" && !cmd.Force:
		return decide.Decision{Action: decide.ActRefuse, Epoch: 3, Code: decide.CodeSwitchoverRefused, Reason: "target down is down; use --force to override"}, nil
	case cmd.Kind == decide.CmdSwitchover:
		return decide.Decision{Action: decide.ActSwitchover, From: "east", To: cmd.To, Epoch: 4, Code: decide.CodeSwitchover, Reason: "planned switchover to " + cmd.To}, nil
	case cmd.Kind == decide.CmdAck:
		return decide.Decision{Action: decide.ActUpdate, Epoch: 3, Code: decide.CodeAcknowledged, Reason: "hold-down lifted"}, nil
	}
	return decide.Decision{Action: decide.ActUpdate, Epoch: 3, Code: decide.Code(cmd.Kind), Reason: string(cmd.Kind)}, nil
}

func (f *fakeCtl) failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeCtl) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeCtl) commands() []decide.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]decide.Command(nil), f.cmds...)
}

var errStore = errors.New("state: store is closed")

// harness is a running admin server on a free port with a fake controller, a metric to
// scrape and a log buffer to inspect.
type harness struct {
	ctl  *fakeCtl
	srv  *admin.Server
	url  string
	logs *syncBuffer
}

func start(t *testing.T, token string) *harness {
	t.Helper()
	h := &harness{ctl: &fakeCtl{}, logs: &syncBuffer{}}
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "esdr_test_gauge", Help: "A test gauge."})
	g.Set(42)
	reg.MustRegister(g)
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := admin.New(admin.Config{Listen: "127.0.0.1:0", Token: token}, h.ctl, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	h.srv, h.url = srv, "http://"+srv.Addr()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	})
	return h
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
