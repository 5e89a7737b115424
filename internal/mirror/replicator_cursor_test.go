package mirror

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestACursorFileBeingWrittenHoldsNoAppend: a cursor's file is written (three fsyncs)
// outside the journal's lock, so that a write waiting for its record to be journaled
// never waits behind a replicator's checkpoint; the cursor in memory has moved already.
func TestACursorFileBeingWrittenHoldsNoAppend(t *testing.T) {
	dir := t.TempDir()
	j, _ := openJournal(t, dir, Options{})
	if err := j.Track("west"); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(context.Background(), doc(1)); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	j.saveFile = func(dir, name string, seq uint64) error {
		if name == checkpointFile+".west" {
			close(entered)
			<-release
		}
		return writeCheckpointFile(dir, name, seq)
	}
	saved := make(chan error, 1)
	go func() { saved <- j.SetCursor("west", 1, 1) }()
	<-entered
	if seq, applied := j.Cursor("west"); seq != 1 || applied != 1 {
		t.Errorf("cursor in memory while its file is written: seq %d, %d applied; want 1 and 1", seq, applied)
	}
	appended := make(chan error, 1)
	go func() { _, err := j.Append(context.Background(), doc(2)); appended <- err }()
	select {
	case err := <-appended:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("an append waited behind a cursor's file being written")
	}
	close(release)
	if err := <-saved; err != nil {
		t.Fatal(err)
	}
	if seq, err := readCheckpointFile(dir, checkpointFile+".west"); err != nil || seq != 1 {
		t.Errorf("cursor file: %d, %v; want 1", seq, err)
	}
}

// TestReplayMovesTheCursorAtOnceAndItsFileAtMostOnceASecond: while records are applied
// one run after another, the cursor in memory follows every run (drains read it) and its
// file is written once per checkpointEvery (here the clock stands still: once, at the
// first run); when Run ends the file catches up with the cursor.
func TestReplayMovesTheCursorAtOnceAndItsFileAtMostOnceASecond(t *testing.T) {
	dir := t.TempDir()
	j, _ := openJournal(t, dir, Options{})
	if err := j.Track("west"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var writes []uint64
	j.saveFile = func(dir, name string, seq uint64) error {
		if name == checkpointFile+".west" {
			mu.Lock()
			writes = append(writes, seq)
			mu.Unlock()
		}
		return writeCheckpointFile(dir, name, seq)
	}
	for i := range 5 { // index creations: each is a run of its own
		if _, err := j.Append(context.Background(), Record{Method: "PUT", Path: fmt.Sprintf("/idx-%d", i), Cluster: "east", Time: t0}); err != nil {
			t.Fatal(err)
		}
	}
	a := &recordingApplier{}
	r, err := NewReplicator(j, a, ReplicatorOptions{Cursor: "west", Want: func(Record) bool { return true },
		Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- r.Run(ctx) }()
	waitFor(t, "the cursor in memory reaches seq 5", func() bool { seq, _ := j.Cursor("west"); return seq == 5 })
	a.mu.Lock()
	runs := len(a.calls)
	a.mu.Unlock()
	mu.Lock()
	during := append([]uint64(nil), writes...)
	mu.Unlock()
	if runs != 5 || len(during) != 1 || during[0] != 1 {
		t.Errorf("%d runs wrote the cursor file %v; want 5 runs and one write, of seq 1", runs, during)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if seq, err := readCheckpointFile(dir, checkpointFile+".west"); err != nil || seq != 5 {
		t.Errorf("cursor file after Run ended: %d, %v; want 5", seq, err)
	}
}
