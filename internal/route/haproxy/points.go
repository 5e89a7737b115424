package haproxy

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// Points reads the backend's server states and names the cluster whose servers are all
// ready while every other configured server is in maintenance, as Apply leaves it; ""
// when no cluster is singled out so (every server ready, as in a fresh configuration).
// HAProxy holds no epoch, so epoch is always 0.
func (t *Target) Points(ctx context.Context) (cluster string, epoch uint64, err error) {
	states, err := t.rt.serverStates(ctx, t.backend)
	if err != nil {
		return "", 0, fmt.Errorf("haproxy: show servers state %s: %w", t.backend, err)
	}
	for _, c := range slices.Sorted(maps.Keys(t.servers)) {
		if t.serves(states, c) {
			return c, 0, nil
		}
	}
	return "", 0, nil
}

// serves reports whether states send traffic to active's servers only.
func (t *Target) serves(states map[string]int, active string) bool {
	for _, s := range t.servers[active] {
		if adm, ok := states[s]; !ok || adm&admAway != 0 {
			return false
		}
	}
	for _, s := range t.others(active) {
		if adm, ok := states[s]; !ok || adm&admFMaint == 0 {
			return false
		}
	}
	return true
}
