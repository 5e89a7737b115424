// Package etcdkey publishes the active endpoint under an etcd key, so applications (and
// the Perl module) can watch one key instead of polling esdr. The write is fenced by the
// epoch stored in the value itself: a compare-and-swap on the key's mod revision after
// reading the stored epoch, so an esdr that lost its way can never overwrite a newer
// decision, and re-applying a decision already stored writes nothing (no new revision,
// so a watcher sees exactly one change per failover).
package etcdkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/esdr/esdr/internal/act"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrStale is returned (wrapped) when the key holds a decision with a newer epoch, or
// another cluster for the same epoch: esdr refuses to overwrite it. Check with errors.Is.
var ErrStale = errors.New("not overwriting")

// maxCASRounds bounds the read-then-CAS loop: each lost round means another writer
// changed the key in between, which after a few rounds is a fight, not a race.
const maxCASRounds = 5

// Value is the JSON stored under the key.
type Value struct {
	Cluster   string    `json:"cluster"`
	Epoch     uint64    `json:"epoch"`
	Nodes     []string  `json:"nodes"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// kv is the part of clientv3.KV this target uses; *clientv3.Client satisfies it.
type kv interface {
	Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error)
	Txn(ctx context.Context) clientv3.Txn
}

// Target writes the active endpoint under one key. It is safe for concurrent use.
type Target struct {
	kv  kv
	key string
	now func() time.Time
	// explain, when set (Open), adds to an error what a TLS handshake with etcd says.
	explain func(context.Context, error) error
}

// New returns a target writing under key through kv (usually a *clientv3.Client, see
// Dial). now stamps updated_at; nil means time.Now.
func New(kv kv, key string, now func() time.Time) (*Target, error) {
	if key == "" {
		return nil, errors.New("etcdkey: empty key")
	}
	if now == nil {
		now = time.Now
	}
	return &Target{kv: kv, key: key, now: now}, nil
}

// Name implements act.Target.
func (t *Target) Name() string { return "etcd:" + t.key }

// Apply stores sw as the active endpoint unless the key already holds it (a no-op) or
// holds a newer epoch (ErrStale). The transaction succeeds only if the key's mod
// revision is still the one read, so two writers cannot interleave; a lost round is
// retried from the read.
func (t *Target) Apply(ctx context.Context, sw act.Switch) error {
	want := Value{Cluster: sw.To, Epoch: sw.Epoch, Nodes: slices.Clone(sw.ToNodes), Reason: sw.Reason}
	if want.Nodes == nil {
		want.Nodes = []string{}
	}
	for range maxCASRounds {
		stored, rev, err := t.read(ctx)
		if err != nil {
			return err
		}
		if stored != nil {
			if err := compare(*stored, want); err != nil || stored.Cluster == want.Cluster && stored.Epoch == want.Epoch {
				return err
			}
		}
		want.UpdatedAt = t.now().UTC().Truncate(time.Millisecond)
		data, err := json.Marshal(want)
		if err != nil {
			return fmt.Errorf("etcdkey: %s: %w", t.key, err)
		}
		// rev 0 means absent: CreateRevision 0 is etcd's "key does not exist".
		cond := clientv3.Compare(clientv3.ModRevision(t.key), "=", rev)
		if rev == 0 {
			cond = clientv3.Compare(clientv3.CreateRevision(t.key), "=", 0)
		}
		resp, err := t.kv.Txn(ctx).If(cond).Then(clientv3.OpPut(t.key, string(data))).Commit()
		if err != nil {
			return fmt.Errorf("etcdkey: write %s: %w", t.key, t.explained(ctx, err))
		}
		if resp.Succeeded {
			return t.verify(ctx, want)
		}
	}
	return fmt.Errorf("etcdkey: %s changed under us %d times in a row; another writer is active", t.key, maxCASRounds)
}

// compare refuses to replace stored by want when stored is a newer decision, or a
// different decision for the same epoch (two controllers disagreeing: a human must look).
func compare(stored, want Value) error {
	switch {
	case stored.Epoch > want.Epoch:
		return fmt.Errorf("etcdkey: stored epoch %d is newer than %d; %w", stored.Epoch, want.Epoch, ErrStale)
	case stored.Epoch == want.Epoch && stored.Cluster != want.Cluster:
		return fmt.Errorf("etcdkey: stored epoch %d already names cluster %q, not %q; %w",
			stored.Epoch, stored.Cluster, want.Cluster, ErrStale)
	}
	return nil
}

// read returns the stored value and its mod revision; nil and 0 when the key is absent.
// A value esdr cannot decode is an error, not something to overwrite: it may be another
// tool's data under a misconfigured key.
func (t *Target) read(ctx context.Context) (*Value, int64, error) {
	resp, err := t.kv.Get(ctx, t.key)
	if err != nil {
		return nil, 0, fmt.Errorf("etcdkey: read %s: %w", t.key, t.explained(ctx, err))
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, nil
	}
	var v Value
	if err := json.Unmarshal(resp.Kvs[0].Value, &v); err != nil {
		return nil, 0, fmt.Errorf("etcdkey: %s holds a value that is not esdr's JSON (%w); not overwriting, delete it or choose another key", t.key, err)
	}
	return &v, resp.Kvs[0].ModRevision, nil
}

// verify reads the key back: a write acknowledged by etcd is durable, but reading it
// proves the key is the one watchers see.
func (t *Target) verify(ctx context.Context, want Value) error {
	got, _, err := t.read(ctx)
	if err != nil {
		return err
	}
	if got == nil || got.Epoch != want.Epoch || got.Cluster != want.Cluster {
		return fmt.Errorf("etcdkey: %s does not hold epoch %d for %q after the write", t.key, want.Epoch, want.Cluster)
	}
	return nil
}
