package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Applier applies records to the standby, in order. recs is either one record or a run
// of single-document operations (see docOp) that may go as one _bulk. An error matching
// ErrRefused is final; any other error is retried with the same records. *HTTPApplier is
// the real one.
type Applier interface {
	Apply(ctx context.Context, recs []Record) error
}

// ReplicatorOptions tune a Replicator; zero values take the defaults.
type ReplicatorOptions struct {
	MaxBatch      int           // records per _bulk; default 500
	MaxBatchBytes int           // body bytes per _bulk; default 8 MiB
	Backoff       time.Duration // first retry delay; default 100ms, doubling
	MaxBackoff    time.Duration // default 10s
	Now           func() time.Time
	// Cursor names the target this replicator applies to, in a journal shared by several
	// targets (Journal.Track): its checkpoint is that target's cursor, and Want picks the
	// records destined for it; the others are skipped. Empty: the journal's only target,
	// every record, and the journal's checkpoint.
	Cursor string
	Want   func(Record) bool
}

// rateWindow is the period over which Stats computes the replay rate.
const rateWindow = 10 * time.Second

// Replicator applies the journal to the standby in order, never skipping a record, and
// advances the journal's checkpoint only after the standby has acknowledged.
type Replicator struct {
	j    *Journal
	a    Applier
	opts ReplicatorOptions

	running atomic.Bool

	mu       sync.Mutex
	oldest   time.Time // Time of the oldest record read and not yet applied
	total    uint64    // records applied since New
	retries  uint64
	lastErr  error
	winStart time.Time
	winN     uint64
	rate     float64
	skip     uint64 // a refused record the next runs leave out (Skip); 0 for none
}

// NewReplicator returns a Replicator applying j to the standby through a.
func NewReplicator(j *Journal, a Applier, opts ReplicatorOptions) (*Replicator, error) {
	if j == nil || a == nil {
		return nil, errors.New("mirror: replicator needs a journal and an applier")
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = 8 << 20
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.Backoff {
		opts.MaxBackoff = max(10*time.Second, opts.Backoff)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Cursor != "" && opts.Want == nil {
		return nil, errors.New("mirror: a replicator with a cursor needs Want to pick its records")
	}
	return &Replicator{j: j, a: a, opts: opts, winStart: opts.Now()}, nil
}

// Run applies records from the journal's checkpoint on, waiting for new ones, until ctx
// ends (then it returns nil). It returns an error, and replication stops, when a record
// is refused for good (ErrRefused, naming the seq) or the journal is corrupt or closed:
// those need a human, and skipping the record would lose an acknowledged write.
func (r *Replicator) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("mirror: replicator already running")
	}
	defer r.running.Store(false)
	start := r.checkpoint()
	rd, err := r.j.NewReader(start + 1)
	if err != nil {
		return err
	}
	defer rd.Close()
	defer r.saveMoved()
	var pending []Record // read, not yet applied
	sc := scan{seq: start, saved: start, skip: r.skipping()}
	for ctx.Err() == nil {
		changed := r.j.changes() // before reading, so that no append is missed
		if pending, err = r.fill(rd, pending, &sc); err != nil {
			return err
		}
		if len(pending) == 0 {
			if err := r.idle(ctx, changed, &sc); err != nil {
				return err
			}
			continue
		}
		run := r.nextRun(pending)
		if err := r.apply(ctx, run); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := r.applied(run[len(run)-1].Seq, len(run), &sc); err != nil {
			return err
		}
		pending = pending[len(run):]
		r.progress(len(run), pending)
	}
	return nil
}

// fill reads durable records until a batch is full (MaxBatch records or MaxBatchBytes of
// bodies, which also bounds the memory held) or none is left, skipping those Want does
// not pick; sc.seq is the last one read.
func (r *Replicator) fill(rd *Reader, pending []Record, sc *scan) ([]Record, error) {
	size := 0
	for _, rec := range pending {
		size += len(rec.Body)
	}
	for len(pending) < r.opts.MaxBatch && size < r.opts.MaxBatchBytes {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pending, fmt.Errorf("mirror: replication stopped: %w", err)
		}
		sc.seq = rec.Seq
		if (r.opts.Want != nil && !r.opts.Want(rec)) || rec.Seq == sc.skip {
			continue
		}
		pending = append(pending, rec)
		size += len(rec.Body)
	}
	if len(pending) > 0 {
		r.mu.Lock()
		r.oldest = pending[0].Time
		r.mu.Unlock()
	}
	return pending, nil
}

// nextRun is the first record alone, or the longest run of records from the start of
// pending that go as one _bulk (the same runKey, replay_join.go) and fit MaxBatchBytes.
func (r *Replicator) nextRun(pending []Record) []Record {
	key := runKey(pending[0])
	if key == "" {
		return pending[:1]
	}
	n, size := 0, 0
	for _, rec := range pending {
		if runKey(rec) != key || (n > 0 && size+len(rec.Body) > r.opts.MaxBatchBytes) {
			break
		}
		n, size = n+1, size+len(rec.Body)+128
	}
	return pending[:max(n, 1)]
}

// apply applies one run, retrying with backoff until the standby acknowledges it, refuses
// it for good, or ctx ends.
func (r *Replicator) apply(ctx context.Context, run []Record) error {
	wait := r.opts.Backoff
	for {
		err := r.a.Apply(ctx, run)
		r.mu.Lock()
		r.lastErr = err
		if err != nil && !errors.Is(err, ErrRefused) {
			r.retries++
		}
		r.mu.Unlock()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrRefused):
			return fmt.Errorf("mirror: replication stopped at seq %d-%d: %w; "+
				"fix the cause on that cluster and restart replication (esdr mirror restart), which resumes at seq %d",
				run[0].Seq, run[len(run)-1].Seq, err, run[0].Seq)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, r.opts.MaxBackoff)
	}
}
