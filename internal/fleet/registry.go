package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxListed bounds how many members (and views) one read returns: a fleet is a
// handful of processes, and garbage under the prefix must not make a read unbounded.
const maxListed = 1000

// Info is what a member registers about itself, under members/<name> with its lease:
// it is listed exactly as long as its session lives.
type Info struct {
	Name    string `json:"name"`
	Vantage string `json:"vantage"`
	Admin   string `json:"admin,omitempty"`
	Proxy   string `json:"proxy,omitempty"`
}

// register puts the member's Info, and the last observations it published, under
// the new lease.
func (m *Member) register(ctx context.Context, lease clientv3.LeaseID, view []byte) error {
	raw, err := json.Marshal(Info{Name: m.opts.Name, Vantage: m.opts.Vantage, Admin: m.opts.Admin, Proxy: m.opts.Proxy})
	if err != nil {
		return fmt.Errorf("fleet: encode member: %w", err)
	}
	ops := []clientv3.Op{clientv3.OpPut(m.key("members/", m.opts.Name), string(raw), clientv3.WithLease(lease))}
	if view != nil {
		ops = append(ops, clientv3.OpPut(m.key("observations/", m.opts.Name), string(view), clientv3.WithLease(lease)))
	}
	if _, err := m.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		return fmt.Errorf("fleet: %s: register: %w", m.opts.Name, err)
	}
	return nil
}

// Members lists the live members (those whose session lasts), by name.
func (m *Member) Members(ctx context.Context) ([]Info, error) {
	kvs, err := m.list(ctx, "members/")
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(kvs))
	for _, kv := range kvs {
		var in Info
		if json.Unmarshal(kv.Value, &in) != nil || in.Name == "" {
			continue // not written by esdr: not a member
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Leader returns the name of the member that leads now, or an error wrapping
// ErrNoLeader. Any member may ask, leading or not.
func (m *Member) Leader(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	// The election's leader is the key with the lowest create revision under its prefix.
	resp, err := m.cli.Get(ctx, m.key("leader/"), clientv3.WithFirstCreate()...)
	if err != nil {
		return "", fmt.Errorf("fleet: read leader: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return "", fmt.Errorf("%w under %s", ErrNoLeader, m.opts.Prefix)
	}
	return string(resp.Kvs[0].Value), nil
}

func (m *Member) list(ctx context.Context, dir string) ([]*mvccpb.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	resp, err := m.cli.Get(ctx, m.key(dir), clientv3.WithPrefix(), clientv3.WithLimit(maxListed))
	if err != nil {
		return nil, fmt.Errorf("fleet: list %s: %w", strings.TrimSuffix(dir, "/"), err)
	}
	return resp.Kvs, nil
}
