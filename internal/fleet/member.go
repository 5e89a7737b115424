package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/esdr/esdr/internal/state"
)

// retryDelay is the pause between attempts to get a new session after one was lost.
const retryDelay = time.Second

// Member is one esdr process of the fleet. It implements state.Guard, so the state
// store can fence its writes by this member's current term. It is safe for concurrent
// use.
type Member struct {
	cli     *clientv3.Client
	opts    Options
	changes chan struct{}
	metrics metrics

	mu        sync.Mutex
	leaderKey string    // election key of the current term; "" when not leading
	leaderRev int64     // its create revision: the fencing token
	since     time.Time // when this member won the current term
	lease     clientv3.LeaseID
	view      []byte // the last observations published, put again under a new lease
}

// Run keeps the member in the fleet until ctx ends: it gets a session (returning an
// error if the first one cannot be had, so a misconfigured esdr stops at once),
// registers, campaigns, runs Options.Lead while leading, and after losing a session
// starts over with a new one. On the way out it resigns and revokes its lease, so
// another member takes over without waiting for the TTL.
func (m *Member) Run(ctx context.Context) error {
	sess, err := m.newSession(ctx)
	if err != nil {
		return err
	}
	for {
		err := m.serve(ctx, sess)
		m.closeSession(ctx, sess)
		if err != nil || ctx.Err() != nil {
			return err
		}
		for sess = nil; sess == nil; {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(retryDelay):
			}
			sess, _ = m.newSession(ctx) // etcd unreachable: keep trying, leading nothing
		}
	}
}

// IsLeader reports whether this member leads now.
func (m *Member) IsLeader() bool { return m.LeaderRev() != 0 }

// LeaderKey is the election key of this member's current term, "" when not leading.
func (m *Member) LeaderKey() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leaderKey
}

// LeaderRev is the create revision of this member's election key, the fencing token
// every write of the state store compares; 0 when not leading.
func (m *Member) LeaderRev() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leaderRev
}

// Changes signals (coalesced) every time this member gains or loses the leadership.
func (m *Member) Changes() <-chan struct{} { return m.changes }

// Acting returns nil once this member may act on the clusters: it leads, and its term
// is older than the session TTL. A predecessor whose lease etcd expired learns it only
// when its own keep-alive deadline passes — the TTL after the last keep-alive answer it
// got, which is at or after the expiry — and then stops at once; waiting out one TTL
// from the election covers that, so the two never act at the same time unless the old
// one is frozen (and then its writes, intents included, are refused by etcd). It
// blocks until then, and returns an error wrapping state.ErrNotLeader when this member
// does not lead or its term ends meanwhile. act.Executor asks it before every change.
func (m *Member) Acting(ctx context.Context) error {
	m.mu.Lock()
	rev, since := m.leaderRev, m.since
	m.mu.Unlock()
	if rev == 0 {
		return fmt.Errorf("fleet: %s: %w: this member does not lead now", m.opts.Name, state.ErrNotLeader)
	}
	if wait := time.Until(since.Add(m.opts.TTL)); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("fleet: %s: waiting out the predecessor's session: %w", m.opts.Name, ctx.Err())
		case <-t.C:
		}
	}
	if m.LeaderRev() != rev {
		return fmt.Errorf("fleet: %s: %w: the term ended while waiting out the predecessor's session", m.opts.Name, state.ErrNotLeader)
	}
	return nil
}

func (m *Member) setLeader(key string, rev int64) {
	m.mu.Lock()
	m.leaderKey, m.leaderRev = key, rev
	if rev != 0 {
		m.since = time.Now()
	}
	m.mu.Unlock()
	if rev != 0 {
		m.metrics.leader.Set(1)
	} else {
		m.metrics.leader.Set(0)
	}
	m.metrics.changes.Inc()
	select {
	case m.changes <- struct{}{}:
	default:
	}
}

// newSession grants a lease within the timeout (NewSession alone would wait as long as
// ctx for an unreachable etcd), keeps it alive, and registers the member under it.
func (m *Member) newSession(ctx context.Context) (*concurrency.Session, error) {
	rctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	lease, err := m.cli.Grant(rctx, int64(m.opts.TTL/time.Second))
	if err != nil {
		return nil, fmt.Errorf("fleet: %s: grant lease: %w", m.opts.Name, err)
	}
	sess, err := concurrency.NewSession(m.cli, concurrency.WithLease(lease.ID), concurrency.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("fleet: %s: session: %w", m.opts.Name, err)
	}
	m.mu.Lock()
	m.lease = sess.Lease()
	view := m.view
	m.mu.Unlock()
	if err := m.register(rctx, sess.Lease(), view); err != nil {
		m.closeSession(ctx, sess)
		return nil, err
	}
	return sess, nil
}

// serve campaigns within one session and leads while it lasts. It returns nil when
// the session is lost or ctx ends, and Lead's error if Lead failed.
func (m *Member) serve(ctx context.Context, sess *concurrency.Session) error {
	sessCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
			cancel()
		case <-sessCtx.Done():
		}
	}()
	el := concurrency.NewElection(sess, m.key("leader"))
	if err := el.Campaign(sessCtx, m.opts.Name); err != nil {
		return nil // session lost or shutting down; Campaign removed its key if it could
	}
	m.setLeader(el.Key(), el.Rev())
	leadCtx, stop := context.WithCancel(sessCtx)
	var done chan error
	if m.opts.Lead != nil {
		done = make(chan error, 1)
		go func() { done <- m.opts.Lead(leadCtx) }()
	}
	var err error
	select {
	case <-sessCtx.Done():
	case err = <-done:
		done = nil
	}
	// Step down before anything else: the guard refuses writes from here on, then
	// the leader's work is cancelled and awaited so that terms never overlap here.
	m.setLeader("", 0)
	stop()
	if done != nil {
		err = <-done
		if sessCtx.Err() != nil {
			err = nil // cancelled because leadership ended: not a failure of Lead
		}
	}
	if errors.Is(err, state.ErrNotLeader) {
		err = nil // the store saw the term end before the session did: campaign again
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.Timeout)
	defer rcancel()
	_ = el.Resign(rctx) // best effort: a lost session has no key left to resign
	if err != nil {
		return fmt.Errorf("fleet: %s: leading: %w", m.opts.Name, err)
	}
	return nil
}

// closeSession stops the keep-alive and revokes the lease within the timeout, so the
// member's keys vanish now rather than after the TTL.
func (m *Member) closeSession(ctx context.Context, sess *concurrency.Session) {
	sess.Orphan()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.Timeout)
	defer cancel()
	_, _ = m.cli.Revoke(rctx, sess.Lease())
	m.mu.Lock()
	if m.lease == sess.Lease() {
		m.lease = clientv3.NoLease
	}
	m.mu.Unlock()
}
