package state

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// appendN appends n events one by one, each Message naming its position.
func appendN(t *testing.T, f *File, n int) {
	t.Helper()
	for i := range n {
		if _, err := f.Append(t.Context(), Event{Kind: EventObserved, Message: fmt.Sprint("event ", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// seqs returns the Seqs of evs, for compact comparisons.
func seqs(evs []Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func TestAppendAssignsSeq(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	at := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	in := []Event{
		{Seq: 99, At: at, Kind: EventObserved, Cluster: "east", Code: decide.CodeActiveDown, Message: "down"},
		{At: at, Kind: EventDecided, From: "east", To: "west", Epoch: 2, Code: decide.CodeActiveDown, Message: "failover"},
	}
	got, err := f.Append(t.Context(), in...)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(got)) != "[1 2]" {
		t.Fatalf("Seqs = %v, want [1 2] (the caller's Seq is ignored)", seqs(got))
	}
	stored, err := f.Events(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if stored[i] != got[i] {
			t.Errorf("stored %+v, Append returned %+v", stored[i], got[i])
		}
	}
	if none, err := f.Append(t.Context()); err != nil || len(none) != 0 {
		t.Errorf("Append() = %v, %v; want nothing", none, err)
	}
}

func TestEventsBoundedAndSeqNeverReused(t *testing.T) {
	f, path := openTemp(t, FileOptions{MaxEvents: 5})
	appendN(t, f, 12)
	evs, err := f.Events(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(evs)) != fmt.Sprint(span(8, 12)) || evs[4].Message != "event 11" {
		t.Fatalf("kept %v, want seqs 8..12 ending with event 11", evs)
	}

	// Seq survives a reopen, and a batch larger than the bound keeps only its tail.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = openAt(t, path, FileOptions{MaxEvents: 5})
	batch := make([]Event, 7)
	got, err := f.Append(t.Context(), batch...)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(got)) != fmt.Sprint(span(13, 19)) {
		t.Errorf("batch Seqs = %v, want 13..19", seqs(got))
	}
	evs, err = f.Latest(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(evs)) != fmt.Sprint(span(15, 19)) {
		t.Errorf("kept %v, want 15..19", seqs(evs))
	}
}

func TestEventsAfterAndLimit(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	appendN(t, f, 10)
	cases := []struct {
		name  string
		after uint64
		limit int
		want  []uint64
	}{
		{"from the oldest", 0, 0, span(1, 10)},
		{"after a seq", 4, 0, span(5, 10)},
		{"limited", 4, 3, span(5, 7)},
		{"after the newest", 10, 0, nil},
		{"far beyond", math.MaxUint64, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := f.Events(t.Context(), c.after, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(seqs(evs)) != fmt.Sprint(c.want) {
				t.Errorf("Events(%d, %d) = %v, want %v", c.after, c.limit, seqs(evs), c.want)
			}
		})
	}
}

func TestLatest(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	if evs, err := f.Latest(t.Context(), 3); err != nil || evs == nil || len(evs) != 0 {
		t.Fatalf("Latest on empty store = %#v, %v; want an empty slice", evs, err)
	}
	appendN(t, f, 10)
	evs, err := f.Latest(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(evs)) != fmt.Sprint(span(8, 10)) {
		t.Errorf("Latest(3) = %v, want 8..10 ascending", seqs(evs))
	}
}

func TestPageLimit(t *testing.T) {
	for limit, want := range map[int]int{-1: 100, 0: 100, 1: 1, 1000: 1000, 5000: 1000} {
		if got := pageLimit(limit); got != want {
			t.Errorf("pageLimit(%d) = %d, want %d", limit, got, want)
		}
	}
}

// The default and the cap apply to the stored history, not only to the arithmetic.
func TestEventsDefaultAndCap(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	if _, err := f.Append(t.Context(), make([]Event, MaxEventsLimit+5)...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ limit, want int }{{0, DefaultEventsLimit}, {5000, MaxEventsLimit}} {
		evs, err := f.Events(t.Context(), 0, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		latest, err := f.Latest(t.Context(), c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != c.want || len(latest) != c.want {
			t.Errorf("limit %d: Events gave %d, Latest %d; want %d", c.limit, len(evs), len(latest), c.want)
		}
	}
}
