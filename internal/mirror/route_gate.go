package mirror

import (
	"context"

	"github.com/esdr/esdr/internal/epoch"
)

// epochSource is what the proxy routes by; *control.Loop has it.
type epochSource interface {
	endpointer
	EpochChanged() <-chan struct{}
}

// Gate is the proxy's epoch source with mirror mode's failover safety: it names the
// active cluster to a write forwarded by Wrap only once that cluster holds every journaled
// write destined for it (up to the drain wait; then the proxy fails the write closed with
// the reason). The proxy asks right before each attempt, so a write held by the proxy
// through a failover does not reach the new active cluster ahead of older writes the
// replicator has still to apply there. Reads are never held.
type Gate struct {
	m   *Mirror
	src epochSource
}

// Gate wraps src, normally the control loop handed to the proxy.
func (m *Mirror) Gate(src epochSource) *Gate { return &Gate{m: m, src: src} }

// Endpoint is src's answer, held for writes until the cluster it names has caught up.
func (g *Gate) Endpoint(ctx context.Context) (epoch.Endpoint, error) {
	ep, err := g.src.Endpoint(ctx)
	ws := writeOf(ctx)
	if err != nil || ep.Cluster == "" || ws == nil {
		return ep, err
	}
	if err := g.m.drain(ctx, ep); err != nil {
		return epoch.Endpoint{}, err
	}
	g.m.attempt(ws, ep.Cluster)
	return ep, nil
}

// EpochChanged is src's.
func (g *Gate) EpochChanged() <-chan struct{} { return g.src.EpochChanged() }
