package state

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/esdr/esdr/internal/decide"
)

// Load returns the stored state and its revision; Revision 0 with a zero State when
// nothing was ever stored. The revision is what the next CommitDecision must expect.
func (f *File) Load(ctx context.Context) (Record, error) {
	var rec Record
	err := f.view(ctx, func(tx *bolt.Tx) error {
		var err error
		rec, err = f.readRecord(tx)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return rec, nil
}

// CompareAndSwap stores s if the stored revision is still expectRev, and returns the
// new record (revision expectRev+1). Otherwise it stores nothing and returns an error
// wrapping ErrConflict: the caller must Load and decide again.
func (f *File) CompareAndSwap(ctx context.Context, expectRev uint64, s decide.State) (Record, error) {
	rec, _, err := f.CommitDecision(ctx, expectRev, s)
	return rec, err
}

// CommitDecision is CompareAndSwap and Append in one transaction: the state a decision
// produced and the events that explain it are stored together or not at all, so after
// a crash the history never lacks the reason for the state, nor tells of a decision
// that was not kept. On conflict nothing is stored, events included.
//
// In etcd this is one Txn: If(Version(record) == expectRev, Value(last_seq) == read)
// Then(Put(record), Put(events/<seq>)..., Put(last_seq), Delete(trimmed range)).
// A key's Version counts its puts from 1, which is exactly Record.Revision.
func (f *File) CommitDecision(ctx context.Context, expectRev uint64, s decide.State, events ...Event) (Record, []Event, error) {
	var (
		rec     Record
		written []Event
	)
	err := f.update(ctx, func(tx *bolt.Tx) error {
		cur, err := f.readRecord(tx)
		if err != nil {
			return err
		}
		if cur.Revision != expectRev {
			return fmt.Errorf("%w: expected revision %d, stored revision is %d (epoch %d, active %q); reload and decide again",
				ErrConflict, expectRev, cur.Revision, cur.State.Epoch, cur.State.Active)
		}
		next := Record{State: s, Revision: cur.Revision + 1}
		raw, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("state: encode record: %w", err)
		}
		if err := tx.Bucket(bucketMeta).Put(keyRecord, raw); err != nil {
			return fmt.Errorf("state: %s: write record: %w", f.path, err)
		}
		if written, err = f.appendEvents(tx, events); err != nil {
			return err
		}
		rec = next
		return nil
	})
	if err != nil {
		return Record{}, nil, err
	}
	f.committed.set(rec)
	return rec, written, nil
}

// readRecord decodes the stored record. Undecodable content is reported as a damaged
// file rather than as a zero state: treating it as "never written" would let esdr
// choose an active cluster afresh and silently reset the epoch, defeating fencing.
func (f *File) readRecord(tx *bolt.Tx) (Record, error) {
	raw := tx.Bucket(bucketMeta).Get(keyRecord)
	if raw == nil {
		return Record{}, nil
	}
	var rec Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Record{}, corruptError(f.path, fmt.Errorf("%w: record: %w", errBadContent, err))
	}
	if rec.Revision == 0 {
		return Record{}, corruptError(f.path, fmt.Errorf("%w: record has revision 0", errBadContent))
	}
	return rec, nil
}
