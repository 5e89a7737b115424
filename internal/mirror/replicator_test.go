package mirror

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingApplier is a fake standby for the pure replicator tests: it records each call
// and fails the calls the test scripts.
type recordingApplier struct {
	mu    sync.Mutex
	calls [][]uint64
	fail  func(call int, recs []Record) error
}

func (a *recordingApplier) Apply(_ context.Context, recs []Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	call := len(a.calls)
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
	}
	a.calls = append(a.calls, seqs)
	if a.fail != nil {
		return a.fail(call, recs)
	}
	return nil
}

func (a *recordingApplier) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fmt.Sprint(a.calls)
}

// runUntil runs a replicator until the journal's checkpoint reaches seq or Run returns.
func runUntil(t *testing.T, r *Replicator, j *Journal, seq uint64) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for j.Stats().Applied < seq {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			t.Fatalf("checkpoint %d, want %d", j.Stats().Applied, seq)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	return <-done
}

func TestReplicatorRuns(t *testing.T) {
	r, calls := replayed(t, []Record{
		doc(1), doc(2), // 1-2: one _bulk
		{Method: "POST", Path: "/orders/_update/1", Body: []byte(`{"doc":{"x":1}}`)}, // 3 alone
		{Method: "DELETE", Path: "/orders/_doc/2"},                                   // 4-5 one _bulk
		{Method: "PUT", Path: "/orders/_create/9", Body: []byte(`{}`)},
		{Method: "PUT", Path: "/orders/_doc/7", Query: "pipeline=p", Body: []byte(`{}`)},                  // 6-7: one _bulk, the pipeline an item's
		{Method: "POST", Path: "/_bulk", Body: []byte("{\"delete\":{\"_index\":\"o\",\"_id\":\"1\"}}\n")}, // joins a root _bulk
	})
	if want := "[[1 2] [3] [4 5 6 7]]"; calls != want {
		t.Errorf("Apply calls %s, want %s", calls, want)
	}
	if ops, age := r.Lag(); ops != 0 || age != 0 {
		t.Errorf("Lag = %d, %v after catching up", ops, age)
	}
}

// replayed journals recs, replays them all through a recording applier, and returns the
// replicator and the records of each Apply call, as "[[1 2] [3]]".
func replayed(t *testing.T, recs []Record) (*Replicator, string) {
	t.Helper()
	j, _ := openJournal(t, t.TempDir(), Options{})
	for _, rec := range recs {
		if _, err := j.Append(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	a := &recordingApplier{}
	r, err := NewReplicator(j, a, ReplicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runUntil(t, r, j, uint64(len(recs))); err != nil {
		t.Fatal(err)
	}
	return r, a.String()
}

// TestReplicatorRetriesAndStops: transient failures are retried with the same records;
// a refusal stops replication at that record, with the checkpoint just before it.
func TestReplicatorRetriesAndStops(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	appendN(t, j, 1, 10)
	a := &recordingApplier{fail: func(call int, recs []Record) error {
		switch {
		case call < 2:
			return errors.New("standby answered HTTP 503")
		case recs[len(recs)-1].Seq >= 6:
			return &RefusedError{Seq: 6, Status: 400, Reason: "mapper_parsing_exception: failed to parse field [n]"}
		}
		return nil
	}}
	now := t0.Add(time.Hour)
	r, err := NewReplicator(j, a, ReplicatorOptions{MaxBatch: 5, Backoff: time.Millisecond, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	err = runUntil(t, r, j, 11)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "seq 6") || !strings.Contains(err.Error(), "resumes at seq 6") {
		t.Fatalf("Run = %v, want a refusal of seq 6", err)
	}
	if got, want := a.String(), "[[1 2 3 4 5] [1 2 3 4 5] [1 2 3 4 5] [6 7 8 9 10]]"; got != want {
		t.Errorf("Apply calls %s, want %s", got, want)
	}
	s := r.Stats()
	if j.Stats().Applied != 5 || s.LagOps != 5 || s.Retries != 2 || s.Applied != 5 || !errors.Is(s.LastError, ErrRefused) {
		t.Errorf("after the refusal: applied %d, %+v", j.Stats().Applied, s)
	}
	if want := now.Sub(doc(6).Time); s.LagAge != want {
		t.Errorf("LagAge = %v, want %v (age of seq 6)", s.LagAge, want)
	}
}
