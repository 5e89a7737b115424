package mirror

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// refuseSeq is a standby that refuses seq for good whenever it is sent, and takes the rest.
func refuseSeq(seq uint64) *recordingApplier {
	return &recordingApplier{fail: func(_ int, recs []Record) error {
		for _, rec := range recs {
			if rec.Seq == seq {
				return &RefusedError{Seq: seq, Status: 400, Reason: "mapper_parsing_exception: failed to parse field [n]"}
			}
		}
		return nil
	}}
}

// TestSkipMovesTheCursorPastTheFirstRefusedRecord: the standby refuses seq 6, the first
// record of its _bulk; Skip(6) moves the checkpoint to 6 at once, durably, and the next
// run applies 7 to 10 without ever sending 6 again.
func TestSkipMovesTheCursorPastTheFirstRefusedRecord(t *testing.T) {
	dir := t.TempDir()
	j, _ := openJournal(t, dir, Options{})
	appendN(t, j, 1, 10)
	a := refuseSeq(6)
	r, err := NewReplicator(j, a, ReplicatorOptions{MaxBatch: 5, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runUntil(t, r, j, 10); !errors.Is(err, ErrRefused) {
		t.Fatalf("Run = %v, want the refusal of seq 6", err)
	}
	for _, bad := range []uint64{5, 11} {
		if _, err := r.Skip(bad); err == nil {
			t.Errorf("Skip(%d) with the checkpoint at 5 and the journal ending at 10 succeeded", bad)
		}
	}
	rec, err := r.Skip(6)
	if err != nil || rec.Seq != 6 || Describe(rec) != "PUT /orders/_doc/6 (index orders, id 6)" {
		t.Fatalf("Skip(6) = %q, %v", Describe(rec), err)
	}
	if got, err := readCheckpoint(dir); err != nil || got != 6 {
		t.Errorf("checkpoint on disk %d (%v), want 6 right after the skip", got, err)
	}
	if err := runUntil(t, r, j, 10); err != nil {
		t.Fatal(err)
	}
	if got, want := a.String(), "[[1 2 3 4 5] [6 7 8 9 10] [7 8 9 10]]"; got != want {
		t.Errorf("Apply calls %s, want %s", got, want)
	}
}

// TestSkipLeavesOutARefusedRecordInsideABulk: the standby refuses seq 8, the third
// record of its _bulk; 6 and 7 are not checkpointed, so Skip(8) cannot move the cursor
// past them: the next run sends them again, leaves 8 out, and the checkpoint passes it.
func TestSkipLeavesOutARefusedRecordInsideABulk(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	appendN(t, j, 1, 10)
	a := refuseSeq(8)
	r, err := NewReplicator(j, a, ReplicatorOptions{MaxBatch: 5, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runUntil(t, r, j, 10); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "the cluster refused seq 8") {
		t.Fatalf("Run = %v, want the refusal of seq 8", err)
	}
	if _, err := r.Skip(8); err != nil {
		t.Fatal(err)
	}
	if got := j.Stats().Applied; got != 5 {
		t.Errorf("checkpoint %d after the skip, want 5: 6 and 7 were never acknowledged", got)
	}
	if err := runUntil(t, r, j, 10); err != nil {
		t.Fatal(err)
	}
	if got, want := a.String(), "[[1 2 3 4 5] [6 7 8 9 10] [6 7 9 10]]"; got != want {
		t.Errorf("Apply calls %s, want %s", got, want)
	}
	if r.skipping() != 0 {
		t.Errorf("skip %d still held once the checkpoint passed it", r.skipping())
	}
}

// TestSkipRefusedWhileRunning: a running replicator's cursor is never moved under it.
func TestSkipRefusedWhileRunning(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	appendN(t, j, 1, 3)
	r, err := NewReplicator(j, &recordingApplier{}, ReplicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for j.Stats().Applied < 3 {
		time.Sleep(time.Millisecond)
	}
	if _, err := r.Skip(3); !errors.Is(err, ErrRunning) {
		t.Errorf("Skip while running = %v, want ErrRunning", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
