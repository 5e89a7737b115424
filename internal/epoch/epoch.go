// Package epoch names where traffic goes: the active cluster of the current epoch, the
// fencing token every change to a cluster and every proxied request is checked against.
//
// Two things answer it: the state store's follower (a file on the embedded default, an
// etcd watch in a fleet) and, in mirror mode, a gate around that follower. The proxy and
// the mirror consume a Source; they never ask the control loop.
package epoch

import (
	"context"
	"sync"
)

// Endpoint is the active cluster of an epoch and its node URLs.
type Endpoint struct {
	Cluster string   `json:"cluster"`
	Epoch   uint64   `json:"epoch"`
	Nodes   []string `json:"nodes"`
}

// Source tells the current endpoint and signals when the epoch changes.
type Source interface {
	// Endpoint is the active cluster and its nodes in the current epoch. An error means
	// the current epoch cannot be told, and whoever routes by it fails closed.
	Endpoint(ctx context.Context) (Endpoint, error)
	// EpochChanged is closed when the epoch next changes; take a fresh one after each wake.
	EpochChanged() <-chan struct{}
}

// Signal wakes every waiter at once: Wait returns a channel that Fire closes, and Fire
// installs a fresh one for the next change, as with a context's Done. The zero Signal is
// ready to use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// Wait returns the channel the next Fire closes.
func (s *Signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Fire wakes everyone waiting on a channel from Wait.
func (s *Signal) Fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
	}
	s.ch = make(chan struct{})
}
