package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrNotLeader is returned (wrapped) by every write of an Etcd store whose writer does
// not hold the leadership it was opened with: its election key is gone or belongs to a
// newer term. A stale leader must stop acting; nothing was written. Check with errors.Is.
var ErrNotLeader = errors.New("state: not the leader")

// Defaults for EtcdOptions' zero values.
const (
	DefaultEtcdTimeout = 5 * time.Second
	// maxEventsPerTxn keeps one write well inside etcd's default of 128 operations per
	// transaction (events, record, last_seq and the trim).
	maxEventsPerTxn = 100
	// maxCASRounds bounds the retries of a write that lost only the race on last_seq
	// (another Append of the same leader in between), not on the record or leadership.
	maxCASRounds = 5
)

// Guard says which leadership an Etcd store's writes are fenced by: the election key
// of the current term and its create revision. fleet.Member implements it. LeaderRev 0
// means "not leading now", and every write fails with ErrNotLeader without a round trip.
type Guard interface {
	LeaderKey() string
	LeaderRev() int64
}

// EtcdOptions configures OpenEtcd.
type EtcdOptions struct {
	// Prefix is the deployment's key prefix, for example "/esdr/prod/"; it must end in "/".
	Prefix string
	// Guard fences every write by leadership; required.
	Guard Guard
	// MaxEvents bounds the history as in FileOptions; 0 means DefaultMaxEvents.
	MaxEvents int
	// Timeout bounds each call on top of the caller's ctx, so that an unreachable etcd
	// cannot hang a caller that passed a context without a deadline. 0 means
	// DefaultEtcdTimeout.
	Timeout time.Duration
}

// Etcd is the state store of an esdr fleet: the same methods and semantics as File,
// kept in etcd so that a new leader inherits the state, the events and the key/value
// area (plan journals, hold-downs). Its layout under the prefix mirrors File's:
//
//	record             Record as JSON; the key's Version is Record.Revision
//	last_seq           the last Seq ever assigned, in decimal
//	events/<seq>       Event as JSON, seq zero-padded to 20 digits
//	kv/<bucket>/<key>  opaque bytes
//
// Every write is one transaction that also compares the create revision of the
// writer's election key (etcd's concurrency fencing), so a leader that lost its session
// can no longer write even if it has not noticed yet. An Etcd does not own the client.
// It is safe for concurrent use.
type Etcd struct {
	cli       *clientv3.Client
	prefix    string
	guard     Guard
	maxEvents int
	timeout   time.Duration
	closed    atomic.Bool
}

// OpenEtcd returns the store under opts.Prefix, reading the record once so that an
// unreachable etcd or damaged content is reported at startup.
func OpenEtcd(ctx context.Context, cli *clientv3.Client, opts EtcdOptions) (*Etcd, error) {
	switch {
	case cli == nil:
		return nil, errors.New("state: etcd: no client")
	case opts.Guard == nil:
		return nil, errors.New("state: etcd: a leadership guard is required (every write is fenced by it)")
	case !strings.HasPrefix(opts.Prefix, "/") || !strings.HasSuffix(opts.Prefix, "/"):
		return nil, fmt.Errorf("state: etcd: prefix %q must start and end with '/'", opts.Prefix)
	case opts.MaxEvents < 0:
		return nil, fmt.Errorf("state: etcd: max events must be 0 (default %d) or more, got %d", DefaultMaxEvents, opts.MaxEvents)
	case opts.Timeout < 0:
		return nil, fmt.Errorf("state: etcd: timeout must be 0 (default %s) or more, got %s", DefaultEtcdTimeout, opts.Timeout)
	}
	if opts.MaxEvents == 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultEtcdTimeout
	}
	e := &Etcd{cli: cli, prefix: opts.Prefix, guard: opts.Guard, maxEvents: opts.MaxEvents, timeout: opts.Timeout}
	if _, err := e.Load(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Close makes every later call fail with ErrClosed. The client stays open: its owner
// closes it. It is safe to call more than once.
func (e *Etcd) Close() error {
	e.closed.Store(true)
	return nil
}

// call bounds ctx by the store's timeout and refuses calls after Close.
func (e *Etcd) call(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if e.closed.Load() {
		return nil, nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	return ctx, cancel, nil
}

// leader returns the compare that fences a write, or ErrNotLeader when the guard says
// this process does not lead now.
func (e *Etcd) leader() (clientv3.Cmp, string, error) {
	key, rev := e.guard.LeaderKey(), e.guard.LeaderRev()
	if key == "" || rev == 0 {
		return clientv3.Cmp{}, "", fmt.Errorf("%w: this member does not lead now; nothing written", ErrNotLeader)
	}
	return clientv3.Compare(clientv3.CreateRevision(key), "=", rev), key, nil
}

// notLeader explains a transaction refused by the leadership compare: resp.Responses[0]
// is the Else branch's read of the leader key.
func notLeader(key string, resp *clientv3.TxnResponse) error {
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		return fmt.Errorf("%w: leader key %s now has create revision %d; nothing written", ErrNotLeader, key, kvs[0].CreateRevision)
	}
	return fmt.Errorf("%w: leader key %s is gone (session lost); nothing written", ErrNotLeader, key)
}

func (e *Etcd) key(parts ...string) string { return e.prefix + strings.Join(parts, "") }

func (e *Etcd) errf(format string, args ...any) error {
	return fmt.Errorf("state: etcd %s: "+format, append([]any{e.prefix}, args...)...)
}
