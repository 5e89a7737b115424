package mirror

import (
	"context"
	"testing"

	"github.com/esdr/esdr/internal/epoch"
	"github.com/prometheus/client_golang/prometheus"
)

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
