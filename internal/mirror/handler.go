package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esdr/esdr/internal/epoch"
)

// Defaults for the HandlerOptions left zero.
const (
	DefaultMaxBody       = 100 << 20 // Elasticsearch's default http.max_content_length
	DefaultMaxResponse   = 64 << 20
	DefaultDrainWait     = 30 * time.Second
	DefaultAppendTimeout = 30 * time.Second
)

// endpointer tells where traffic goes in the current epoch; *control.Loop has it.
type endpointer interface {
	Endpoint(ctx context.Context) (epoch.Endpoint, error)
}

// HandlerOptions tune a Mirror; zero values take the defaults.
type HandlerOptions struct {
	// MaxBody bounds the body of a write, which is read whole to be journaled.
	MaxBody int64
	// MaxResponse bounds the active cluster's answer to a write, held until the write
	// is journaled.
	MaxResponse int64
	// DrainWait bounds how long a write waits, after the active cluster changed, for the
	// journaled records destined for the new active cluster to be applied.
	DrainWait time.Duration
	// AppendTimeout bounds journaling a write the active cluster accepted. It does not
	// end with the client's request.
	AppendTimeout time.Duration
	// Peers are the other members of a fleet, whose journals the drain covers too; nil
	// on the embedded default.
	Peers Peers
	Log   *slog.Logger
}

// Mirror is write mirroring in the proxy: Wrap journals every write the active cluster
// accepted before the client is answered, and Gate holds writes to a cluster until the
// journal's records for it are applied.
type Mirror struct {
	j     *Journal
	pair  Pair
	eps   endpointer
	opts  HandlerOptions
	locks *lockTable

	answers map[string]*atomic.Uint64 // by error type; the keys are fixed at New

	mu       sync.Mutex
	lastFor  map[string]uint64 // the last seq to apply to each cluster
	want     map[string]uint64 // records for each cluster journaled since New, past its cursor then
	inflight map[string]int    // writes whose last attempt went to each cluster, not yet settled
}

// NewMirror returns the write path of mirror mode for pair, journaling to j, whose
// targets are the pair's clusters (see PairReplicators). eps tells the active cluster.
// The records j holds but has not applied are read once, to know what each cluster
// still lacks.
func NewMirror(j *Journal, pair Pair, eps endpointer, opts HandlerOptions) (*Mirror, error) {
	if j == nil || eps == nil {
		return nil, errors.New("mirror: a journal and an endpoint source are required")
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxResponse <= 0 {
		opts.MaxResponse = DefaultMaxResponse
	}
	if opts.DrainWait <= 0 {
		opts.DrainWait = DefaultDrainWait
	}
	if opts.AppendTimeout <= 0 {
		opts.AppendTimeout = DefaultAppendTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if err := j.Track(pair.A, pair.B); err != nil {
		return nil, err
	}
	m := &Mirror{j: j, pair: pair, eps: eps, opts: opts, locks: newLockTable(), lastFor: map[string]uint64{},
		want: map[string]uint64{}, inflight: map[string]int{}, answers: map[string]*atomic.Uint64{}}
	for _, typ := range answerTypes {
		m.answers[typ] = new(atomic.Uint64)
	}
	if err := m.scanUnapplied(); err != nil {
		return nil, err
	}
	return m, nil
}

// scanUnapplied reads the records not yet applied and notes, for each cluster, the last
// one past its cursor and how many. A record from a cluster outside the pair counts for
// both: it stops replication (PairReplicators), and nothing must be written past it
// unnoticed.
func (m *Mirror) scanUnapplied() error {
	st := m.j.Stats()
	if st.Durable <= st.Applied {
		return nil
	}
	rd, err := m.j.NewReader(st.Applied + 1)
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mirror: reading unapplied records: %w", err)
		}
		for _, t := range m.targets(rec.Cluster) {
			if seq, _ := m.j.Cursor(t); rec.Seq > seq {
				m.lastFor[t] = rec.Seq
				m.want[t]++
			}
		}
	}
}

// targets are the clusters a record accepted by cluster goes to: the other one of the
// pair, or both for a cluster outside it.
func (m *Mirror) targets(cluster string) []string {
	if t, ok := m.pair.Target(cluster); ok {
		return []string{t}
	}
	return []string{m.pair.A, m.pair.B}
}

// noteAppended records that seq, accepted by cluster, must be applied to the other one.
func (m *Mirror) noteAppended(cluster string, seq uint64) {
	m.mu.Lock()
	for _, t := range m.targets(cluster) {
		m.lastFor[t] = max(m.lastFor[t], seq)
		m.want[t]++
	}
	m.mu.Unlock()
}

// Pending is how many journaled records must still be applied before cluster holds
// every write acknowledged through esdr (0 when it does). Its replicator applies its
// records in journal order, so it holds them all once its cursor reaches the last one
// journaled for it; the count is those journaled minus those applied (at least 1 while
// the cursor is behind: an append is counted just after the replicator may see it).
func (m *Mirror) Pending(cluster string) uint64 {
	seq, applied := m.j.Cursor(cluster)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastFor[cluster] <= seq {
		return 0
	}
	if want := m.want[cluster]; want > applied {
		return want - applied
	}
	return 1
}

// DrainError is a write held because the cluster it would go to still lacks journaled
// writes, past the drain wait.
type DrainError struct {
	Cluster string
	Pending uint64
	Waited  time.Duration
}

func (e *DrainError) Error() string {
	return fmt.Sprintf("mirror mode: cluster %s is still applying %d journaled writes (waited %s); "+
		"writes go to it once it holds every write acknowledged before; retry shortly, and if this lasts "+
		"check the replication lag and errors in esdr status", e.Cluster, e.Pending, e.Waited.Round(time.Millisecond))
}

// drain returns once the cluster of ep holds every journaled write meant for it — of
// this journal, and in a fleet of every member's — or a *DrainError or *PeersError after
// the drain wait or ctx's deadline, or ctx's error when it is cancelled.
func (m *Mirror) drain(ctx context.Context, ep epoch.Endpoint) error {
	start := time.Now()
	if err := m.drainOwn(ctx, ep.Cluster, start); err != nil {
		return err
	}
	return m.drainPeers(ctx, ep.Cluster, ep.Epoch, start)
}

func (m *Mirror) drainOwn(ctx context.Context, cluster string, start time.Time) error {
	if m.Pending(cluster) == 0 {
		return nil
	}
	t := time.NewTimer(m.opts.DrainWait)
	defer t.Stop()
	for {
		ch := m.j.changes() // before reading: no SetApplied is missed
		n := m.Pending(cluster)
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-t.C:
			return &DrainError{Cluster: cluster, Pending: n, Waited: time.Since(start)}
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) { // the proxy's own wait ran out first
				return &DrainError{Cluster: cluster, Pending: m.Pending(cluster), Waited: time.Since(start)}
			}
			return ctx.Err()
		}
	}
}
