package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/mirror"
)

// stubStandby refuses one seq for good (a mapping conflict) and records the seqs it took.
type stubStandby struct {
	mu     sync.Mutex
	refuse uint64
	took   []uint64
}

func (s *stubStandby) Apply(_ context.Context, recs []mirror.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range recs {
		if rec.Seq == s.refuse {
			return &mirror.RefusedError{Seq: rec.Seq, Status: 400, Reason: "mapper_parsing_exception: failed to parse field [n]"}
		}
	}
	for _, rec := range recs {
		s.took = append(s.took, rec.Seq)
	}
	return nil
}

func (s *stubStandby) set(refuse uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

func (s *stubStandby) seqs() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.took)
}

// replicating is a mirror setup on a journal of n writes the primary accepted, replaying
// to standby, with its replication running until the test ends.
func replicating(t *testing.T, n int, standby mirror.Applier) *mirrorSetup {
	t.Helper()
	j, _, err := mirror.Open(t.TempDir(), mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		appendDoc(t, j, i)
	}
	pair, _ := mirror.NewPair("primary", "standby")
	s := newMirrorSetup(&config.MirrorConfig{}, pair, j, slog.New(slog.DiscardHandler))
	to := map[string]mirror.Applier{"primary": &stubStandby{}, "standby": standby}
	if s.reps, err = mirror.PairReplicators(j, pair, to, mirror.ReplicatorOptions{Backoff: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if s.m, err = mirror.NewMirror(j, pair, fixedEpoch{}, mirror.HandlerOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = j.Close()
	})
	return s
}

func appendDoc(t *testing.T, j *mirror.Journal, i int) {
	t.Helper()
	rec := mirror.Record{Method: "PUT", Path: fmt.Sprintf("/orders/_doc/%d", i), ContentType: "application/json",
		Body: fmt.Appendf(nil, `{"n":%d}`, i), Epoch: 1, Cluster: "primary", Time: time.Now()}
	if _, err := j.Append(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// refusal is the code of a refused call, "" for another outcome.
func refusal(err error) string {
	var re *admin.RefusedError
	if errors.As(err, &re) {
		return re.Code + ": " + re.Reason
	}
	return ""
}

// TestRestartResumesAStoppedReplicationAtTheRefusedRecord: the standby refuses seq 3;
// replication to it stops there (status says so, with the seq). Restarting a running
// replication, an unknown cluster, or skipping another seq is refused; once the standby
// takes seq 3, a restart resumes from the checkpoint and the stop clears.
func TestRestartResumesAStoppedReplicationAtTheRefusedRecord(t *testing.T) {
	standby := &stubStandby{refuse: 3}
	s := replicating(t, 5, standby)
	waitFor(t, "stop", func() bool { return s.status().Stopped != "" })
	if st := s.status(); st.StoppedAt["standby"] != 3 || !strings.Contains(st.Stopped, "to standby: ") {
		t.Fatalf("status of the stop: %q at %v", st.Stopped, st.StoppedAt)
	}
	for _, c := range []struct {
		to   string
		skip uint64
		want string
	}{
		{"primary", 0, "mirror_running: replication to primary is running"},
		{"west", 0, "unknown_cluster"},
		{"", 2, "skip_mismatch: --skip 2: replication to standby stopped at seq 3; only that record can be skipped"},
	} {
		if _, err := s.restartMirror(c.to, c.skip); !strings.HasPrefix(refusal(err), c.want) {
			t.Errorf("restart to %q skipping %d: %v, want %q", c.to, c.skip, err, c.want)
		}
	}
	standby.set(0) // the cause is fixed on the standby
	a, err := s.restartMirror("", 0)
	if err != nil || a.Cluster != "standby" || a.StoppedAt != 3 || a.From != 1 || a.Skipped != 0 {
		t.Fatalf("restart: %+v, %v", a, err)
	}
	waitFor(t, "replay of seq 5", func() bool { c, _ := s.j.Cursor("standby"); return c == 5 })
	if st := s.status(); st.Stopped != "" || st.StoppedAt != nil || !slices.Contains(standby.seqs(), 3) {
		t.Errorf("after the restart: stopped %q at %v, standby took %v", st.Stopped, st.StoppedAt, standby.seqs())
	}
	if _, err := s.restartMirror("standby", 0); !strings.HasPrefix(refusal(err), "mirror_running") {
		t.Errorf("a second restart: %v, want mirror_running", err)
	}
}

// TestSkipDropsOnlyTheRecordReplicationStoppedAt: the standby refuses seq 3 for good;
// --skip 3 restarts without it and every other record arrives. A later refusal stops
// replication again, and is counted as a new stop (a new event).
func TestSkipDropsOnlyTheRecordReplicationStoppedAt(t *testing.T) {
	standby := &stubStandby{refuse: 3}
	s := replicating(t, 5, standby)
	waitFor(t, "stop", func() bool { return s.status().Stopped != "" })
	a, err := s.restartMirror("standby", 3)
	if err != nil || a.Skipped != 3 || a.SkippedRecord != "PUT /orders/_doc/3 (index orders, id 3)" {
		t.Fatalf("restart skipping 3: %+v, %v", a, err)
	}
	waitFor(t, "replay of seq 5", func() bool { c, _ := s.j.Cursor("standby"); return c == 5 })
	if got := standby.seqs(); slices.Contains(got, 3) || !slices.Contains(got, 4) || !slices.Contains(got, 5) {
		t.Errorf("standby took %v, want 4 and 5 and never 3", got)
	}
	ev := restartEvent(a, "ops@host", time.Now())
	for _, want := range []string{"seq 3 SKIPPED for standby by ops@host", "index orders, id 3", "acknowledged", "restarted from seq"} {
		if !strings.Contains(ev.Message, want) || ev.Cluster != "standby" {
			t.Errorf("event %+v, want %q in it", ev, want)
		}
	}

	standby.set(6)
	appendDoc(t, s.j, 6)
	waitFor(t, "second stop", func() bool { return s.status().StoppedAt["standby"] == 6 })
	s.mu.Lock()
	stops := s.stops["standby"]
	s.mu.Unlock()
	if stops != 2 {
		t.Errorf("%d stops counted, want 2: a stop after a restart is recorded again", stops)
	}
}
