package state

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Append adds events to the history, in one fenced transaction, and returns them with
// their Seq assigned, as File.Append does.
func (e *Etcd) Append(ctx context.Context, events ...Event) ([]Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	if len(events) > maxEventsPerTxn {
		return nil, e.errf("at most %d events per append, got %d", maxEventsPerTxn, len(events))
	}
	return e.write(ctx, nil, nil, events, nil)
}

// Events returns up to limit events with Seq > afterSeq, oldest first, as File.Events.
func (e *Etcd) Events(ctx context.Context, afterSeq uint64, limit int) ([]Event, error) {
	limit = pageLimit(limit)
	if afterSeq == math.MaxUint64 {
		return []Event{}, nil
	}
	ctx, cancel, err := e.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	// "events0" is the first key after every "events/…" ('0' follows '/').
	resp, err := e.cli.Get(ctx, e.key("events/", string(seqKey(afterSeq+1))),
		clientv3.WithRange(e.key("events0")), clientv3.WithLimit(int64(limit)))
	if err != nil {
		return nil, e.errf("read events: %w", err)
	}
	return e.decodeEvents(resp, false)
}

// Latest returns the newest limit events, oldest first, as File.Latest.
func (e *Etcd) Latest(ctx context.Context, limit int) ([]Event, error) {
	limit = pageLimit(limit)
	ctx, cancel, err := e.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	resp, err := e.cli.Get(ctx, e.key("events/"), clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(int64(limit)))
	if err != nil {
		return nil, e.errf("read events: %w", err)
	}
	return e.decodeEvents(resp, true)
}

func (e *Etcd) decodeEvents(resp *clientv3.GetResponse, reverse bool) ([]Event, error) {
	out := make([]Event, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		if len(kv.Value) > maxValueBytes {
			return nil, e.errf("event %s is %d bytes, more than esdr ever writes", kv.Key, len(kv.Value))
		}
		if err := json.Unmarshal(kv.Value, &out[i]); err != nil {
			return nil, e.errf("event %s is not esdr's: %w", kv.Key, err)
		}
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// eventOps assigns Seqs after seq and returns the puts of the events and of last_seq,
// and the range delete of what falls out of the bounded history (trimmed in the same
// transaction, so the history never exceeds maxEvents).
func (e *Etcd) eventOps(seq uint64, events []Event) ([]Event, []clientv3.Op, error) {
	written := make([]Event, len(events))
	ops := make([]clientv3.Op, 0, len(events)+2)
	for i, ev := range events {
		seq++
		ev.Seq = seq
		raw, err := json.Marshal(ev)
		if err != nil {
			return nil, nil, fmt.Errorf("state: encode event: %w", err)
		}
		ops = append(ops, clientv3.OpPut(e.key("events/", string(seqKey(seq))), string(raw)))
		written[i] = ev
	}
	ops = append(ops, clientv3.OpPut(e.key("last_seq"), strconv.FormatUint(seq, 10)))
	if seq > uint64(e.maxEvents) {
		ops = append(ops, clientv3.OpDelete(e.key("events/"),
			clientv3.WithRange(e.key("events/", string(seqKey(seq-uint64(e.maxEvents)+1))))))
	}
	return written, ops, nil
}
