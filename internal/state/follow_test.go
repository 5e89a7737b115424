package state

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/esdr/esdr/internal/decide"
)

func TestAFileFollowerAnswersEachCommittedEpochAndWakesOnAChange(t *testing.T) {
	ctx := context.Background()
	f, err := OpenFile(filepath.Join(t.TempDir(), "state.db"), FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := f.Epochs(map[string][]string{"a": {"http://a:9200"}})
	if _, err := w.Endpoint(ctx); !errors.Is(err, ErrNoActive) {
		t.Fatalf("fresh file: err %v, want ErrNoActive", err)
	}
	changed := w.EpochChanged()
	rec, _, err := f.CommitDecision(ctx, 0, decide.State{Active: "a", Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("EpochChanged not closed by a commit that moved the epoch")
	}
	ep, err := w.Endpoint(ctx)
	if err != nil || ep.Cluster != "a" || ep.Epoch != 1 || len(ep.Nodes) != 1 {
		t.Fatalf("after the commit: %+v, %v", ep, err)
	}
	same := w.EpochChanged()
	if _, _, err := f.CommitDecision(ctx, rec.Revision, decide.State{Active: "a", Epoch: 1, HoldDownUntil: rec.State.HoldDownUntil}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-same:
		t.Fatal("a commit in the same epoch woke the epoch's waiters")
	default:
	}
}

func TestAReopenedFileFollowerStartsFromTheStoredEpoch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	f, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.CommitDecision(ctx, 0, decide.State{Active: "b", Epoch: 7}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if f, err = OpenFile(path, FileOptions{}); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ep, err := f.Epochs(nil).Endpoint(ctx); err != nil || ep.Cluster != "b" || ep.Epoch != 7 {
		t.Fatalf("reopened: %+v, %v, want b at epoch 7", ep, err)
	}
}
