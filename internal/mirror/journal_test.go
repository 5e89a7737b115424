package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// doc is an index-by-id record for document i.
func doc(i int) Record {
	return Record{Method: "PUT", Path: fmt.Sprintf("/orders/_doc/%d", i), Query: "refresh=false",
		ContentType: "application/json", Body: fmt.Appendf(nil, `{"n":%d}`, i),
		Epoch: 7, Cluster: "east", Time: t0.Add(time.Duration(i) * time.Millisecond)}
}

func openJournal(t *testing.T, dir string, opts Options) (*Journal, Recovery) {
	t.Helper()
	j, rep, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j, rep
}

func appendN(t *testing.T, j *Journal, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		seq, err := j.Append(context.Background(), doc(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i) {
			t.Fatalf("Append(doc %d) = seq %d", i, seq)
		}
	}
}

// readAll reads every durable record from seq from.
func readAll(t *testing.T, j *Journal, from uint64) []Record {
	t.Helper()
	r, err := j.NewReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

func TestAppendReopenRead(t *testing.T) {
	dir := t.TempDir()
	j, rep := openJournal(t, dir, Options{})
	if rep.LastSeq != 0 || rep.Truncated != nil {
		t.Fatalf("new journal: %+v", rep)
	}
	appendN(t, j, 1, 50)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(context.Background(), doc(51)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}

	j2, rep := openJournal(t, dir, Options{})
	if rep.FirstSeq != 1 || rep.LastSeq != 50 || rep.Truncated != nil {
		t.Fatalf("reopen: %+v", rep)
	}
	appendN(t, j2, 51, 60)
	got := readAll(t, j2, 41)
	if len(got) != 20 || got[0].Seq != 41 || got[19].Seq != 60 {
		t.Fatalf("read from 41: %d records", len(got))
	}
	want := doc(41)
	want.Seq = 41
	if g := got[0]; g.Method != want.Method || g.Path != want.Path || g.Query != want.Query ||
		g.ContentType != want.ContentType || string(g.Body) != string(want.Body) ||
		g.Epoch != want.Epoch || g.Cluster != want.Cluster || !g.Time.Equal(want.Time) {
		t.Errorf("record 41 = %+v, want %+v", g, want)
	}
}

func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	openJournal(t, dir, Options{})
	if _, _, err := Open(dir, Options{}); err == nil {
		t.Fatal("a second Open of the same dir succeeded")
	}
}

// TestGroupCommit appends from many goroutines at once: every Append gets a distinct
// seq, every record reads back intact, in seq order and without gaps.
func TestGroupCommit(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{MaxBytes: 64 << 20, SegmentBytes: 64 << 10})
	const writers, each = 32, 40
	var wg sync.WaitGroup
	seqs := make(chan uint64, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				seq, err := j.Append(context.Background(), doc(w*each+i))
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d returned twice", s)
		}
		seen[s] = true
	}
	got := readAll(t, j, 1)
	if len(got) != writers*each || len(seen) != writers*each {
		t.Fatalf("read %d records, %d seqs, want %d", len(got), len(seen), writers*each)
	}
	for i, r := range got {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
	if s := j.Stats(); s.Segments < 2 || s.Durable != writers*each {
		t.Errorf("Stats = %+v, want several segments and all durable", s)
	}
}

// TestFullBound: once the unapplied records reach MaxBytes, Append refuses with
// ErrJournalFull; applying (checkpoint + segment deletion) makes room again.
// TestOneFsyncForMany holds the first group-commit leader in fsync until every other
// appender has written its record: all of those then share the next fsync.
func TestOneFsyncForMany(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	const n = 32
	var once sync.Once
	j.fsync = func(f *os.File) error {
		once.Do(func() {
			for j.Stats().Durable == 0 {
				j.mu.Lock()
				w := j.written
				j.mu.Unlock()
				if w == n {
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
		return f.Sync()
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := j.Append(context.Background(), doc(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if s := j.Stats(); s.Durable != n || s.Syncs != 2 {
		t.Errorf("%d concurrent appends: %+v, want all durable after 2 fsyncs", n, s)
	}
}

func TestFullBound(t *testing.T) {
	dir := t.TempDir()
	j, _ := openJournal(t, dir, Options{MaxBytes: 16 << 10, SegmentBytes: 4 << 10})
	var last uint64
	var err error
	for i := 1; i < 1000; i++ {
		var seq uint64
		if seq, err = j.Append(context.Background(), doc(i)); err != nil {
			break
		}
		last = seq
	}
	if !errors.Is(err, ErrJournalFull) {
		t.Fatalf("Append past the bound: %v", err)
	}
	t.Logf("full after %d records: %v", last, err)
	before := j.Stats()
	if err := j.SetApplied(last); err != nil {
		t.Fatal(err)
	}
	after := j.Stats()
	if after.Segments != 1 || after.Bytes >= before.Bytes || after.Applied != last {
		t.Errorf("after SetApplied(%d): %+v (before %+v)", last, after, before)
	}
	if _, err := j.Append(context.Background(), doc(int(last)+1)); err != nil {
		t.Fatalf("Append after applying: %v", err)
	}
}

func TestRotationAndDeletion(t *testing.T) {
	dir := t.TempDir()
	j, _ := openJournal(t, dir, Options{MaxBytes: 1 << 20, SegmentBytes: 1 << 10})
	appendN(t, j, 1, 100)
	segs := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		return len(m)
	}
	n := segs()
	if n < 5 {
		t.Fatalf("%d segments after 100 records of ~70 bytes with 1 KiB segments", n)
	}
	if err := j.SetApplied(101); err == nil {
		t.Error("SetApplied past the last record succeeded")
	}
	if err := j.SetApplied(50); err != nil {
		t.Fatal(err)
	}
	if m := segs(); m >= n || m < 2 {
		t.Errorf("%d segments after applying half of %d", m, n)
	}
	if err := j.SetApplied(40); err == nil {
		t.Error("checkpoint went backwards")
	}
	if got := readAll(t, j, 51); len(got) != 50 || got[0].Seq != 51 {
		t.Fatalf("unapplied records after deletion: %d", len(got))
	}
	if _, err := j.NewReader(1); err == nil {
		t.Error("reader from a deleted seq succeeded")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, rep := openJournal(t, dir, Options{MaxBytes: 1 << 20, SegmentBytes: 1 << 10})
	if rep.Applied != 50 || rep.LastSeq != 100 || rep.FirstSeq > 51 {
		t.Errorf("reopen after deletion: %+v", rep)
	}
}
