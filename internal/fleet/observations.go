package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// View is one member's observations of every cluster, as published under
// observations/<member> with the member's lease: a member whose session ends has no
// view, so every view read is from a live member. At says how old the view is. It is
// the decide step's VantageView, so the leader combines views as they are read.
type View = decide.VantageView

// source is the part of the watch step Publishing needs; *watch.Watcher has it.
type source interface {
	Snapshot() map[string]health.Observation
	Changes() <-chan struct{}
}

// Publish stores obs, taken at at, as this member's view. Without a live session it
// is kept and put as soon as the next session starts.
func (m *Member) Publish(ctx context.Context, obs map[string]health.Observation, at time.Time) error {
	raw, err := json.Marshal(View{Member: m.opts.Name, Vantage: m.opts.Vantage, At: at, Clusters: obs})
	if err != nil {
		return fmt.Errorf("fleet: encode observations: %w", err)
	}
	m.mu.Lock()
	m.view = raw
	lease := m.lease
	m.mu.Unlock()
	if lease == clientv3.NoLease {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	if _, err := m.cli.Put(ctx, m.key("observations/", m.opts.Name), string(raw), clientv3.WithLease(lease)); err != nil {
		return fmt.Errorf("fleet: %s: publish observations: %w", m.opts.Name, err)
	}
	return nil
}

// PublishEach publishes src's snapshot now and after each of its changes, until ctx
// ends. A failed put is not fatal (etcd may be away); the next change retries, and
// the one after a new session is put by registration. now stamps each view.
func (m *Member) PublishEach(ctx context.Context, src source, now func() time.Time) {
	for {
		_ = m.Publish(ctx, src.Snapshot(), now())
		select {
		case <-ctx.Done():
			return
		case <-src.Changes():
		}
	}
}

// Observations returns the views of all live members, by member name. A value that
// does not decode is skipped: it is not a view any member published.
func (m *Member) Observations(ctx context.Context) ([]View, error) {
	kvs, err := m.list(ctx, "observations/")
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(kvs))
	for _, kv := range kvs {
		var v View
		if json.Unmarshal(kv.Value, &v) != nil || v.Member == "" {
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Member < out[j].Member })
	return out, nil
}
