package mirror

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fencedApplier refuses every record for now (a read-only cluster answers 403, which
// the replicator retries), until let is closed.
type fencedApplier struct {
	recordingApplier
	let chan struct{}
}

func (f *fencedApplier) Apply(ctx context.Context, recs []Record) error {
	select {
	case <-f.let:
		return f.recordingApplier.Apply(ctx, recs)
	default:
		return errors.New("HTTP 403 cluster_block_exception: fenced")
	}
}

// appendFrom journals one document write accepted by cluster.
func appendFrom(t *testing.T, j *Journal, m *Mirror, cluster string, i int) uint64 {
	t.Helper()
	rec := doc(i)
	rec.Cluster = cluster
	seq, err := j.Append(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	m.noteAppended(cluster, seq)
	return seq
}

// TestPairReplicatorsNoHeadOfLineBlocking is the planned switchover under load: east
// took writes, then west; a write east accepted in flight after the switch (seq 3) is
// journaled behind one west took (seq 2), which is meant for east — fenced, so it
// cannot take it. West must still get seq 3 at once (its drain reaches zero), east gets
// seq 2 once the fence is lifted, and the journal's checkpoint waits for both.
func TestPairReplicatorsNoHeadOfLineBlocking(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	pair := Pair{A: "east", B: "west"}
	east := &fencedApplier{let: make(chan struct{})}
	west := &recordingApplier{}
	reps, err := PairReplicators(j, pair, map[string]Applier{"east": east, "west": west},
		ReplicatorOptions{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMirror(j, pair, &fakeEpochs{}, HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	appendFrom(t, j, m, "east", 1)
	appendFrom(t, j, m, "west", 2)
	appendFrom(t, j, m, "east", 3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for _, r := range reps {
		go func() { done <- r.Run(ctx) }()
	}
	defer func() {
		cancel()
		for range reps {
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}()
	waitFor(t, "west holds seq 1 and 3", func() bool { return m.Pending("west") == 0 })
	if west.String() != "[[1 3]]" {
		t.Errorf("applied to west %s, want [[1 3]]", west)
	}
	if m.Pending("east") != 1 || j.Stats().Applied != 0 {
		t.Errorf("east lacks %d, checkpoint %d: want 1 and 0 while east is fenced", m.Pending("east"), j.Stats().Applied)
	}
	close(east.let)
	waitFor(t, "east holds seq 2", func() bool { return m.Pending("east") == 0 })
	waitFor(t, "the checkpoint follows the lower cursor", func() bool { return j.Stats().Applied == 3 })
	if east.recordingApplier.String() != "[[2]]" {
		t.Errorf("applied to east %s, want [[2]]", &east.recordingApplier)
	}
}

// TestPairReplicatorsResume: each cursor survives a restart, so each direction resumes
// where it was and nothing is applied twice.
func TestPairReplicatorsResume(t *testing.T) {
	dir := t.TempDir()
	j, _ := openJournal(t, dir, Options{})
	pair := Pair{A: "east", B: "west"}
	m, _ := NewMirror(j, pair, &fakeEpochs{}, HandlerOptions{})
	for i := 1; i <= 4; i++ {
		appendFrom(t, j, m, []string{"east", "west"}[i%2], i) // 1 west, 2 east, 3 west, 4 east
	}
	if err := j.SetCursor("west", 2, 1); err != nil { // west has seq 2
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, _ = openJournal(t, dir, Options{})
	east, west := &recordingApplier{}, &recordingApplier{}
	reps, err := PairReplicators(j, pair, map[string]Applier{"east": east, "west": west}, ReplicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ = NewMirror(j, pair, &fakeEpochs{}, HandlerOptions{})
	if m.Pending("west") != 1 || m.Pending("east") != 2 {
		t.Fatalf("after reopening: west lacks %d, east %d; want 1 and 2", m.Pending("west"), m.Pending("east"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, r := range reps {
		go func() { _ = r.Run(ctx) }()
	}
	waitFor(t, "both caught up", func() bool { return m.Pending("west") == 0 && m.Pending("east") == 0 })
	if fmt.Sprint(west, east) != "[[4]] [[1 3]]" {
		t.Errorf("applied to west %s, east %s; want [[4]] and [[1 3]]", west, east)
	}
}

// TestPairReplicatorsForeignRecord: a record accepted by a cluster outside the pair
// stops both directions at it, naming it.
func TestPairReplicatorsForeignRecord(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	pair := Pair{A: "east", B: "west"}
	reps, err := PairReplicators(j, pair, map[string]Applier{"east": &recordingApplier{}, "west": &recordingApplier{}}, ReplicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := doc(1)
	rec.Cluster = "north"
	if _, err := j.Append(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	for name, r := range reps {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.Run(ctx)
		cancel()
		if !errors.Is(err, ErrRefused) || !strings.Contains(fmt.Sprint(err), "not one of the mirrored pair") {
			t.Errorf("to %s: %v, want the record refused", name, err)
		}
	}
}

// TestCursorRules: cursors go forward only, up to the last durable record, and a
// journal with cursors refuses the one-target SetApplied.
func TestCursorRules(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	appendN(t, j, 1, 3)
	if err := j.Track("East"); err == nil {
		t.Error("a cursor named East was accepted")
	}
	if err := j.Track("east", "west"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		seq  uint64
		ok   bool
	}{{"west", 4, false}, {"west", 2, true}, {"west", 1, false}, {"north", 1, false}, {"east", 3, true}} {
		if err := j.SetCursor(c.name, c.seq, 0); (err == nil) != c.ok {
			t.Errorf("SetCursor(%s, %d): %v", c.name, c.seq, err)
		}
	}
	if j.Stats().Applied != 2 {
		t.Errorf("checkpoint %d, want the lower cursor 2", j.Stats().Applied)
	}
	if err := j.SetApplied(3); err == nil {
		t.Error("SetApplied on a journal with cursors succeeded")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
