// Package haproxy switches traffic in an HAProxy backend that lists both clusters'
// nodes, through HAProxy's runtime API (the stats socket): the new cluster's servers are
// made ready, then every other server is put in maintenance and its sessions are shut
// down, so long-lived keep-alive clients move too (a DNS flip alone would not move them).
// The result is read back with "show servers state".
//
// HAProxy keeps runtime changes only until it reloads; pair this target with a
// server-state-file, or have esdr re-apply after a reload (Apply is idempotent).
package haproxy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/act"
)

// DefaultTimeout bounds one runtime API command.
const DefaultTimeout = 5 * time.Second

// Config is one HAProxy target in esdr's configuration (targets.haproxy[i]).
type Config struct {
	// Socket is the runtime API address: a unix socket path (/run/haproxy/admin.sock,
	// or unix:/path) or tcp:host:port. The socket needs "level admin".
	Socket string
	// Backend is the backend holding both clusters' servers.
	Backend string
	// Servers maps each cluster name to its server names in Backend.
	Servers map[string][]string
	// Timeout bounds one runtime API command; zero means DefaultTimeout.
	Timeout time.Duration
}

// Check returns the problems with c as "key: message" lines, keys relative to the
// target's block. clusters are the configured cluster names.
func (c Config) Check(clusters []string) []string {
	var ps []string
	if _, _, err := splitSocket(c.Socket); err != nil {
		ps = append(ps, "socket: "+err.Error())
	}
	if c.Backend == "" || strings.ContainsAny(c.Backend, " /\t") {
		ps = append(ps, fmt.Sprintf("backend: %q is not allowed, want the name of an HAProxy backend", c.Backend))
	}
	seen := map[string]string{}
	for _, cl := range clusters {
		if len(c.Servers[cl]) == 0 {
			in := "the backend"
			if c.Backend != "" {
				in = "backend " + c.Backend
			}
			ps = append(ps, fmt.Sprintf("servers.%s: no servers, want the names of cluster %s's servers in %s", cl, cl, in))
		}
	}
	for _, cl := range slices.Sorted(maps.Keys(c.Servers)) {
		if !slices.Contains(clusters, cl) {
			ps = append(ps, fmt.Sprintf("servers.%s: unknown cluster, want one of %s", cl, strings.Join(clusters, ", ")))
		}
		for i, s := range c.Servers[cl] {
			if other, dup := seen[s]; dup {
				ps = append(ps, fmt.Sprintf("servers.%s[%d]: server %q is already listed for cluster %s", cl, i, s, other))
			}
			seen[s] = cl
		}
	}
	if c.Timeout < 0 {
		ps = append(ps, "timeout: negative, want a duration such as 5s")
	}
	return ps
}

// splitSocket turns Socket into a net.Dial network and address.
func splitSocket(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		network, address = "unix", strings.TrimPrefix(s, "unix:")
	case strings.HasPrefix(s, "tcp:"):
		network, address = "tcp", strings.TrimPrefix(s, "tcp:")
	case strings.HasPrefix(s, "/"):
		network, address = "unix", s
	}
	if address == "" {
		return "", "", fmt.Errorf("%q is not allowed, want a unix socket path such as /run/haproxy/admin.sock, or tcp:127.0.0.1:9999", s)
	}
	return network, address, nil
}

// Target moves an HAProxy backend's traffic to the active cluster's servers.
type Target struct {
	rt      runtime
	backend string
	servers map[string][]string
}

// New checks c against the configured cluster names and returns its target.
func New(c Config, clusters []string) (*Target, error) {
	if ps := c.Check(clusters); len(ps) > 0 {
		return nil, fmt.Errorf("haproxy: %s", strings.Join(ps, "; "))
	}
	network, address, _ := splitSocket(c.Socket)
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &Target{
		rt:      runtime{network: network, address: address, timeout: timeout},
		backend: c.Backend,
		servers: maps.Clone(c.Servers),
	}, nil
}

// Name implements act.Target.
func (t *Target) Name() string { return "haproxy:" + t.backend }

// Apply readies sw.To's servers first (so the backend is never left with none), then
// puts every other configured server in maintenance and shuts its sessions down, then
// verifies. Servers already in the right state are not touched; sessions are shut down
// on every call, which is harmless on a server in maintenance and finishes the job when
// an earlier Apply stopped between the two commands.
func (t *Target) Apply(ctx context.Context, sw act.Switch) error {
	to, ok := t.servers[sw.To]
	if !ok {
		return fmt.Errorf("haproxy: %s: no servers configured for cluster %q", t.backend, sw.To)
	}
	states, err := t.rt.serverStates(ctx, t.backend)
	if err != nil {
		return fmt.Errorf("haproxy: show servers state %s: %w", t.backend, err)
	}
	for _, s := range to {
		if adm, ok := states[s]; ok && adm&(admFMaint|admFDrain) == 0 {
			continue
		}
		if err := t.rt.command(ctx, "set server "+t.backend+"/"+s+" state ready"); err != nil {
			return fmt.Errorf("haproxy: %w", err)
		}
	}
	for _, s := range t.others(sw.To) {
		if adm, ok := states[s]; !ok || adm&admFMaint == 0 {
			if err := t.rt.command(ctx, "set server "+t.backend+"/"+s+" state maint"); err != nil {
				return fmt.Errorf("haproxy: %w", err)
			}
		}
		if err := t.rt.command(ctx, "shutdown sessions server "+t.backend+"/"+s); err != nil {
			return fmt.Errorf("haproxy: %w", err)
		}
	}
	return t.verify(ctx, sw.To)
}

// others lists the servers of every cluster but active, in a stable order.
func (t *Target) others(active string) []string {
	var out []string
	for _, cl := range slices.Sorted(maps.Keys(t.servers)) {
		if cl != active {
			out = append(out, t.servers[cl]...)
		}
	}
	return out
}

// verify reads the backend back: active's servers free of maintenance and drain (from
// any source, not only esdr's), every other server forced into maintenance.
func (t *Target) verify(ctx context.Context, active string) error {
	states, err := t.rt.serverStates(ctx, t.backend)
	if err != nil {
		return fmt.Errorf("haproxy: verify %s: %w", t.backend, err)
	}
	var bad []string
	for _, s := range t.servers[active] {
		if adm, ok := states[s]; !ok {
			bad = append(bad, s+" missing from the backend")
		} else if adm&admAway != 0 {
			bad = append(bad, fmt.Sprintf("%s not ready (admin state %#x)", s, adm))
		}
	}
	for _, s := range t.others(active) {
		if adm, ok := states[s]; !ok {
			bad = append(bad, s+" missing from the backend")
		} else if adm&admFMaint == 0 {
			bad = append(bad, fmt.Sprintf("%s not in maint (admin state %#x)", s, adm))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("haproxy: verify %s after switching to %s: %s", t.backend, active, strings.Join(bad, ", "))
	}
	return nil
}
