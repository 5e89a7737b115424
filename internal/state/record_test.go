package state

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

func TestLoadNeverWritten(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	rec, err := f.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec, Record{}) {
		t.Errorf("Load of a new store = %+v, want the zero Record", rec)
	}
}

func TestCompareAndSwapIncrementsRevision(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	ctx := t.Context()
	for want := uint64(1); want <= 3; want++ {
		s := decide.State{Active: "east", Epoch: want}
		rec, err := f.CompareAndSwap(ctx, want-1, s)
		if err != nil {
			t.Fatalf("CAS at %d: %v", want-1, err)
		}
		if rec.Revision != want || rec.State.Epoch != want {
			t.Errorf("CAS returned %+v, want revision %d", rec, want)
		}
		loaded, err := f.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(loaded, rec) {
			t.Errorf("Load = %+v, CAS returned %+v", loaded, rec)
		}
	}
}

func TestCompareAndSwapConflict(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	ctx := t.Context()
	first := decide.State{Active: "east", Epoch: 1}
	if _, err := f.CompareAndSwap(ctx, 0, first); err != nil {
		t.Fatal(err)
	}

	for _, stale := range []uint64{0, 2, 7} {
		_, err := f.CompareAndSwap(ctx, stale, decide.State{Active: "west", Epoch: 2})
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("CAS expecting %d: error %v, want ErrConflict", stale, err)
		}
		if !strings.Contains(err.Error(), "stored revision is 1") {
			t.Errorf("conflict error %q does not say the stored revision", err)
		}
	}
	rec, err := f.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Revision != 1 || rec.State != first {
		t.Errorf("after conflicts Load = %+v, want revision 1 with %+v", rec, first)
	}
}

// A refused decision must not leave its events behind: the history would otherwise
// tell of a transition that never happened.
func TestCommitDecisionConflictStoresNoEvents(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	ctx := t.Context()
	rec, evs, err := f.CommitDecision(ctx, 0, decide.State{Active: "east", Epoch: 1},
		Event{Kind: EventDecided, Epoch: 1, To: "east", Message: "initial choice"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Revision != 1 || len(evs) != 1 || evs[0].Seq != 1 {
		t.Fatalf("CommitDecision = %+v, %+v", rec, evs)
	}

	_, evs, err = f.CommitDecision(ctx, 0, decide.State{Active: "west", Epoch: 2},
		Event{Kind: EventDecided, Epoch: 2, To: "west", Message: "lost the race"})
	if !errors.Is(err, ErrConflict) || evs != nil {
		t.Fatalf("stale CommitDecision = %+v, %v; want ErrConflict and no events", evs, err)
	}
	all, err := f.Events(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Message != "initial choice" {
		t.Errorf("events after conflict = %+v, want only the first", all)
	}
}

func TestStateRoundTrip(t *testing.T) {
	at := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
	want := decide.State{
		Active:        "west",
		Epoch:         42,
		ActiveSince:   at,
		Paused:        true,
		HoldDownUntil: at.Add(10 * time.Minute),
		LastTransition: &decide.Transition{
			Kind:   decide.ActFailover,
			From:   "east",
			To:     "west",
			Epoch:  42,
			Code:   decide.CodeActiveDown,
			Reason: "east: 3 of 3 probes failed",
			At:     at,
		},
	}
	f, path := openTemp(t, FileOptions{})
	if _, err := f.CompareAndSwap(t.Context(), 0, want); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	rec, err := openAt(t, path, FileOptions{}).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.State, want) {
		t.Errorf("after reopen State =\n%+v\nwant\n%+v", rec.State, want)
	}
	if *rec.State.LastTransition != *want.LastTransition {
		t.Errorf("LastTransition = %+v, want %+v", *rec.State.LastTransition, *want.LastTransition)
	}
}

// Times in another zone keep their instant; JSON keeps the offset, not the zone name.
func TestStateRoundTripZonedTime(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, zone)
	f, _ := openTemp(t, FileOptions{})
	if _, err := f.CompareAndSwap(t.Context(), 0, decide.State{Active: "a", Epoch: 1, ActiveSince: at}); err != nil {
		t.Fatal(err)
	}
	rec, err := f.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.State.ActiveSince; !got.Equal(at) {
		t.Errorf("ActiveSince = %v, want %v", got, at)
	}
	if rec.State.LastTransition != nil || !rec.State.HoldDownUntil.IsZero() {
		t.Errorf("unset fields came back set: %+v", rec.State)
	}
}
