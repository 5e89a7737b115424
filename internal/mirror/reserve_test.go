package mirror

import (
	"context"
	"errors"
	"testing"
)

// TestReserve: room is set aside before the write is forwarded, so the journal refuses
// while nothing has changed yet, and never after the active cluster accepted the write.
func TestReserve(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{MaxBytes: 8 << 10, SegmentBytes: 2 << 10})
	var held []*Reservation
	for {
		res, err := j.Reserve(doc(len(held) + 1))
		if errors.Is(err, ErrJournalFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, res)
	}
	if len(held) < 10 {
		t.Fatalf("only %d reservations fit in 8 KiB", len(held))
	}
	// Every reserved write can be appended, although the journal is full.
	for i, res := range held[:len(held)-1] {
		seq, err := res.Append(context.Background(), doc(i+1))
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("Append on reservation %d = %d, %v", i, seq, err)
		}
	}
	lastRes := held[len(held)-1]
	if _, err := held[0].Append(context.Background(), doc(1)); err == nil {
		t.Error("a reservation was used twice")
	}
	lastRes.Release()
	lastRes.Release() // harmless
	if _, err := lastRes.Append(context.Background(), doc(99)); err == nil {
		t.Error("Append on a released reservation succeeded")
	}
	if j.held != 0 {
		t.Errorf("%d bytes still held after every reservation was used or released", j.held)
	}
	if s := j.Stats(); s.Durable != uint64(len(held)-1) || s.Bytes > 8<<10 {
		t.Errorf("Stats = %+v", s)
	}
	if _, err := j.Reserve(Record{Body: make([]byte, 5<<10)}); err == nil || errors.Is(err, ErrJournalFull) {
		t.Errorf("Reserve of a record over MaxRecordBytes: %v", err)
	}
}
