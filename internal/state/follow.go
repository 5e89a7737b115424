package state

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esdr/esdr/internal/epoch"
)

// ErrNoActive is returned (wrapped) by a follower's Endpoint while nothing is stored: the
// control loop stores an active cluster on its first round.
var ErrNoActive = errors.New("state: no active cluster stored yet; the control loop stores one on its first round")

// committed is a record as last seen, with a signal for each change of its epoch. The
// proxy reads it before every attempt, so reads are one atomic load; writers serialize.
type committed struct {
	mu      sync.Mutex // serializes set
	rec     atomic.Pointer[Record]
	changed epoch.Signal
}

// set installs rec unless an older revision than the one held: a slow reader must not
// undo a newer write.
func (c *committed) set(rec Record) {
	c.mu.Lock()
	old := c.get()
	if rec.Revision < old.Revision {
		c.mu.Unlock()
		return
	}
	c.rec.Store(&rec)
	c.mu.Unlock()
	if rec.State.Epoch != old.State.Epoch {
		c.changed.Fire()
	}
}

func (c *committed) get() Record {
	if r := c.rec.Load(); r != nil {
		return *r
	}
	return Record{}
}

// endpointOf is where traffic goes in rec's epoch.
func endpointOf(rec Record, nodes map[string][]string) (epoch.Endpoint, error) {
	s := rec.State
	if s.Active == "" {
		return epoch.Endpoint{}, ErrNoActive
	}
	return epoch.Endpoint{Cluster: s.Active, Epoch: s.Epoch, Nodes: nodes[s.Active]}, nil
}

// FileEpochs follows the epoch a state file stores. The file is locked to this process,
// so every commit passes through it: the view is never stale and needs no reads.
type FileEpochs struct {
	f     *File
	nodes map[string][]string
}

// Epochs returns the follower of f's epoch; nodes lists each cluster's node URLs.
func (f *File) Epochs(nodes map[string][]string) *FileEpochs { return &FileEpochs{f: f, nodes: nodes} }

// Endpoint is the active cluster of the committed epoch.
func (e *FileEpochs) Endpoint(context.Context) (epoch.Endpoint, error) {
	return endpointOf(e.f.committed.get(), e.nodes)
}

// EpochChanged is closed when a commit next changes the epoch.
func (e *FileEpochs) EpochChanged() <-chan struct{} { return e.f.committed.changed.Wait() }

// Record is the committed record; a file's view is always current (age 0).
func (e *FileEpochs) Record() (Record, time.Duration) { return e.f.committed.get(), 0 }

// Run has nothing to follow: commits update the view as they happen.
func (e *FileEpochs) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
