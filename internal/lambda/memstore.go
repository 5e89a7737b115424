package lambda

import (
	"context"
	"sync"

	"github.com/esdr/esdr/internal/state"
)

// memStore is act's store for one invocation: the plan journal lives only as long as
// the invocation, because the durable state of this path is in Route 53 (the record and
// its marker). A repeated event rebuilds the same plan, and each of its steps is
// idempotent, which is what makes a retried or duplicated invocation safe.
type memStore struct {
	mu     sync.Mutex
	rec    state.Record
	kv     map[string][]byte
	events []state.Event
}

func newMemStore(rec state.Record) *memStore { return &memStore{rec: rec, kv: map[string][]byte{}} }

func (m *memStore) Load(context.Context) (state.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rec, nil
}

func (m *memStore) Get(_ context.Context, bucket, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.kv[bucket+"/"+key]
	return v, ok, nil
}

func (m *memStore) Put(_ context.Context, bucket, key string, val []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[bucket+"/"+key] = append([]byte(nil), val...)
	return nil
}

func (m *memStore) Delete(_ context.Context, bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.kv, bucket+"/"+key)
	return nil
}

// Append keeps the plan's events; the handler logs them as the invocation's audit.
func (m *memStore) Append(_ context.Context, evs ...state.Event) ([]state.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range evs {
		evs[i].Seq = uint64(len(m.events) + 1)
		m.events = append(m.events, evs[i])
	}
	return evs, nil
}

func (m *memStore) Events() []state.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]state.Event(nil), m.events...)
}
