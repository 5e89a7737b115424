package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/esdr/esdr/internal/decide"
)

// maxValueBytes bounds what the store decodes from one etcd value: content esdr did
// not write is reported, never allowed to make it allocate without limit.
const maxValueBytes = 1 << 20

// Load returns the stored state and its revision, as File.Load does.
func (e *Etcd) Load(ctx context.Context) (Record, error) {
	ctx, cancel, err := e.call(ctx)
	if err != nil {
		return Record{}, err
	}
	defer cancel()
	resp, err := e.cli.Get(ctx, e.key("record"))
	if err != nil {
		return Record{}, e.errf("read record: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return Record{}, nil
	}
	return e.decodeRecord(resp.Kvs[0].Value, resp.Kvs[0].Version)
}

// CompareAndSwap stores s if the stored revision is still expectRev, as File does;
// a writer that does not lead gets ErrNotLeader.
func (e *Etcd) CompareAndSwap(ctx context.Context, expectRev uint64, s decide.State) (Record, error) {
	rec, _, err := e.CommitDecision(ctx, expectRev, s)
	return rec, err
}

// CommitDecision stores s and events in one etcd transaction, guarded by the record's
// revision (ErrConflict), the writer's leadership (ErrNotLeader) and the last Seq read,
// so nothing is stored unless all of it is.
func (e *Etcd) CommitDecision(ctx context.Context, expectRev uint64, s decide.State, events ...Event) (Record, []Event, error) {
	if len(events) > maxEventsPerTxn {
		return Record{}, nil, e.errf("at most %d events per decision, got %d", maxEventsPerTxn, len(events))
	}
	next := Record{State: s, Revision: expectRev + 1}
	raw, err := json.Marshal(next)
	if err != nil {
		return Record{}, nil, fmt.Errorf("state: encode record: %w", err)
	}
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.Version(e.key("record")), "=", int64(expectRev))}
	ops := []clientv3.Op{clientv3.OpPut(e.key("record"), string(raw))}
	written, err := e.write(ctx, cmps, ops, events, func(resp *clientv3.TxnResponse) error {
		kvs := resp.Responses[1].GetResponseRange().Kvs
		if len(kvs) == 0 && expectRev == 0 || len(kvs) > 0 && uint64(kvs[0].Version) == expectRev {
			return nil // not ours: only last_seq moved, try again
		}
		cur := Record{}
		if len(kvs) > 0 {
			if cur, err = e.decodeRecord(kvs[0].Value, kvs[0].Version); err != nil {
				return err
			}
		}
		return fmt.Errorf("%w: expected revision %d, stored revision is %d (epoch %d, active %q); reload and decide again",
			ErrConflict, expectRev, cur.Revision, cur.State.Epoch, cur.State.Active)
	})
	if err != nil {
		return Record{}, nil, err
	}
	return next, written, nil
}

// write runs one fenced transaction: cmps and ops plus the leadership compare and the
// events appended after last_seq. On failure, refused explains a failed compare of
// cmps (its resp.Responses[1] is a read of the record); returning nil from it means
// only last_seq moved and the write is retried from a new read.
func (e *Etcd) write(ctx context.Context, cmps []clientv3.Cmp, ops []clientv3.Op, events []Event,
	refused func(*clientv3.TxnResponse) error) ([]Event, error) {
	ctx, cancel, err := e.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	for range maxCASRounds {
		lead, leaderKey, err := e.leader()
		if err != nil {
			return nil, err
		}
		allCmps := append([]clientv3.Cmp{lead}, cmps...)
		allOps := ops
		var written []Event
		if len(events) > 0 {
			seq, seqRev, err := e.lastSeq(ctx)
			if err != nil {
				return nil, err
			}
			allCmps = append(allCmps, clientv3.Compare(clientv3.ModRevision(e.key("last_seq")), "=", seqRev))
			var evOps []clientv3.Op
			if written, evOps, err = e.eventOps(seq, events); err != nil {
				return nil, err
			}
			allOps = append(append([]clientv3.Op{}, ops...), evOps...)
		}
		resp, err := e.cli.Txn(ctx).If(allCmps...).Then(allOps...).
			Else(clientv3.OpGet(leaderKey), clientv3.OpGet(e.key("record"))).Commit()
		if err != nil {
			return nil, e.errf("write: %w", err)
		}
		if resp.Succeeded {
			return written, nil
		}
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) == 0 || kvs[0].CreateRevision != e.guard.LeaderRev() {
			return nil, notLeader(leaderKey, resp)
		}
		if refused != nil {
			if err := refused(resp); err != nil {
				return nil, err
			}
		}
	}
	return nil, e.errf("write lost the race for the event sequence %d times in a row", maxCASRounds)
}

func (e *Etcd) decodeRecord(raw []byte, version int64) (Record, error) {
	if len(raw) > maxValueBytes {
		return Record{}, e.errf("record is %d bytes, more than esdr ever writes (%d); restore the prefix from a backup", len(raw), maxValueBytes)
	}
	var rec Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Record{}, e.errf("record is not esdr's (%w); restore the prefix from a backup, or delete it to start with no state", err)
	}
	if rec.Revision == 0 || rec.Revision != uint64(version) {
		return Record{}, e.errf("record says revision %d but the key was written %d times; it was written by something other than esdr", rec.Revision, version)
	}
	return rec, nil
}

// lastSeq returns the last Seq assigned and the mod revision of the key holding it (0
// when nothing was ever appended).
func (e *Etcd) lastSeq(ctx context.Context) (uint64, int64, error) {
	resp, err := e.cli.Get(ctx, e.key("last_seq"))
	if err != nil {
		return 0, 0, e.errf("read last seq: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return 0, 0, nil
	}
	seq, err := strconv.ParseUint(string(resp.Kvs[0].Value), 10, 64)
	if err != nil {
		return 0, 0, e.errf("last_seq %q is not a number; it was written by something other than esdr", resp.Kvs[0].Value)
	}
	return seq, resp.Kvs[0].ModRevision, nil
}
