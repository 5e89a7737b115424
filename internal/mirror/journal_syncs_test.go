package mirror

import (
	"context"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/epoch"
	"github.com/prometheus/client_golang/prometheus"
)

// TestFsyncTimesFallIntoTheirBuckets: each fsync counts in the first bucket at least as
// long, cumulatively, and one past the last bucket only in the count and the sum.
func TestFsyncTimesFallIntoTheirBuckets(t *testing.T) {
	var s syncTimes
	for _, d := range []time.Duration{50 * time.Microsecond, 100 * time.Microsecond, 2 * time.Millisecond, 10 * time.Second} {
		s.observe(d)
	}
	j := &Journal{syncTimes: s}
	got := j.SyncTimes()
	want := map[float64]uint64{0.0001: 2, 0.00025: 2, 0.001: 2, 0.0025: 3, 1: 3, 5: 3}
	for le, n := range want {
		if got.Buckets[le] != n {
			t.Errorf("bucket le=%v: %d, want %d", le, got.Buckets[le], n)
		}
	}
	if got.Count != 4 || got.Sum < 10.002 || got.Sum > 10.0022 {
		t.Errorf("count %d sum %v, want 4 and 10.00215", got.Count, got.Sum)
	}
}

// TestEveryGroupCommitFsyncIsExported: the journal times each fsync it makes, and the
// metrics export them as esdr_mirror_journal_fsync_seconds.
func TestEveryGroupCommitFsyncIsExported(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	for i := range 3 {
		if _, err := j.Append(context.Background(), Record{Method: "PUT", Path: "/i/_doc/" + string(rune('a'+i)), Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 1}}, HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := RegisterMetrics(reg, MetricsSource{Journal: j, Mirror: m, Stopped: func() bool { return false }}); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	syncs := j.Stats().Syncs
	for _, mf := range mfs {
		if mf.GetName() != "esdr_mirror_journal_fsync_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if syncs < 3 || h.GetSampleCount() != syncs || h.GetSampleSum() <= 0 {
			t.Fatalf("exported %d fsyncs (sum %vs), the journal made %d (at least one per sequential append)", h.GetSampleCount(), h.GetSampleSum(), syncs)
		}
		return
	}
	t.Fatal("no esdr_mirror_journal_fsync_seconds")
}
