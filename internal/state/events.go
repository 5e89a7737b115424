package state

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Page sizes for Events and Latest: a caller that asks for nothing in particular gets
// DefaultEventsLimit, and nobody gets more than MaxEventsLimit at once, so one API
// request cannot make the store decode its whole history.
const (
	DefaultEventsLimit = 100
	MaxEventsLimit     = 1000
)

// Append adds events to the history and returns them with their Seq assigned. Seqs
// increase by one per event and are never reused, even after the oldest events are
// dropped, so a reader that remembers the last Seq it saw can always resume after it.
func (f *File) Append(ctx context.Context, events ...Event) ([]Event, error) {
	var written []Event
	err := f.update(ctx, func(tx *bolt.Tx) error {
		var err error
		written, err = f.appendEvents(tx, events)
		return err
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}

// Events returns up to limit events with Seq > afterSeq, oldest first; afterSeq 0
// starts at the oldest kept. limit <= 0 means DefaultEventsLimit; it is capped at
// MaxEventsLimit.
func (f *File) Events(ctx context.Context, afterSeq uint64, limit int) ([]Event, error) {
	limit = pageLimit(limit)
	out := make([]Event, 0, min(limit, DefaultEventsLimit))
	if afterSeq == math.MaxUint64 {
		return out, nil // nothing can follow; afterSeq+1 would wrap to the oldest
	}
	err := f.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(seqKey(afterSeq + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			ev, err := f.decodeEvent(k, v)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Latest returns the newest limit events, oldest first (the order a status page or
// `esdr events` prints them). limit is defaulted and capped as in Events.
func (f *File) Latest(ctx context.Context, limit int) ([]Event, error) {
	limit = pageLimit(limit)
	var out []Event
	err := f.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			ev, err := f.decodeEvent(k, v)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if out == nil {
		out = []Event{}
	}
	return out, nil
}

func pageLimit(limit int) int {
	if limit <= 0 {
		return DefaultEventsLimit
	}
	return min(limit, MaxEventsLimit)
}

// appendEvents writes events after the last assigned Seq, then drops the oldest beyond
// maxEvents. Seqs of kept events are contiguous, so the count is last-first+1 and
// trimming never has to scan what it keeps.
func (f *File) appendEvents(tx *bolt.Tx, events []Event) ([]Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	seq, err := f.lastSeq(tx)
	if err != nil {
		return nil, err
	}
	b := tx.Bucket(bucketEvents)
	written := make([]Event, len(events))
	for i, ev := range events {
		seq++
		ev.Seq = seq
		raw, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("state: encode event: %w", err)
		}
		if err := b.Put(seqKey(seq), raw); err != nil {
			return nil, fmt.Errorf("state: %s: write event %d: %w", f.path, seq, err)
		}
		written[i] = ev
	}
	if err := tx.Bucket(bucketMeta).Put(keyLastSeq, strconv.AppendUint(nil, seq, 10)); err != nil {
		return nil, fmt.Errorf("state: %s: write last seq: %w", f.path, err)
	}
	if seq <= uint64(f.maxEvents) {
		return written, nil
	}
	oldestKept := seqKey(seq - uint64(f.maxEvents) + 1)
	c := b.Cursor()
	for k, _ := c.First(); k != nil && string(k) < string(oldestKept); k, _ = c.First() {
		if err := b.Delete(k); err != nil {
			return nil, fmt.Errorf("state: %s: trim events: %w", f.path, err)
		}
	}
	return written, nil
}

// lastSeq is kept apart from the events themselves because trimming may delete them
// all; deriving it from the newest key would then reuse Seqs.
func (f *File) lastSeq(tx *bolt.Tx) (uint64, error) {
	raw := tx.Bucket(bucketMeta).Get(keyLastSeq)
	if raw == nil {
		return 0, nil
	}
	seq, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, corruptError(f.path, fmt.Errorf("%w: last seq %q", errBadContent, raw))
	}
	return seq, nil
}

func (f *File) decodeEvent(k, v []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(v, &ev); err != nil {
		return Event{}, corruptError(f.path, fmt.Errorf("%w: event %s: %w", errBadContent, k, err))
	}
	return ev, nil
}

// seqKey renders a Seq as a fixed-width decimal key: it sorts like the number, reads
// plainly in `bbolt` tools, and works unchanged as an etcd key under a prefix.
func seqKey(seq uint64) []byte {
	return fmt.Appendf(nil, "%020d", seq)
}
