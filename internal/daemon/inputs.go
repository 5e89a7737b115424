package daemon

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/etcdconn"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/state"
)

// store is the part of a state store esdr runs on; *state.File and *state.Etcd have it.
type store interface {
	Load(ctx context.Context) (state.Record, error)
	CommitDecision(ctx context.Context, expectRev uint64, s decide.State, events ...state.Event) (state.Record, []state.Event, error)
	Append(ctx context.Context, events ...state.Event) ([]state.Event, error)
	Events(ctx context.Context, afterSeq uint64, limit int) ([]state.Event, error)
	Get(ctx context.Context, bucket, key string) ([]byte, bool, error)
	Put(ctx context.Context, bucket, key string, val []byte) error
	Delete(ctx context.Context, bucket, key string) error
	Close() error
}

// follower follows the stored epoch, which the proxy, mirror mode and snapshot sync
// route by; *state.FileEpochs and *state.EtcdEpochs are followers.
type follower interface {
	epoch.Source
	// Record is the record followed and how long ago it was confirmed (-1: never).
	Record() (state.Record, time.Duration)
	Run(ctx context.Context) error
}

// leadership runs lead for each term this process leads, until ctx ends.
type leadership interface {
	Run(ctx context.Context) error
	IsLeader() bool
}

// inputs are what make esdr a fleet of one or a member of a fleet.
type inputs struct {
	leadership leadership
	store      store
	epochs     follower
	// member is this process's fleet membership, nil for a fleet of one: it guards the
	// act step, combines the members' views and fills the status's fleet section.
	member  *fleet.Member
	report  *fleet.Reporter
	closers []io.Closer
}

// always is the leadership of a fleet of one: nobody to elect, so its one term lasts as
// long as esdr runs, and a failed term stops esdr.
type always struct{ lead func(context.Context) error }

func (a always) Run(ctx context.Context) error { return a.lead(ctx) }
func (always) IsLeader() bool                  { return true }

// alone is a fleet of one: always leading, on a local state file.
func alone(cfg *config.Config, lead func(context.Context) error) (inputs, error) {
	st, err := state.OpenFile(cfg.State.Path, state.FileOptions{})
	if err != nil {
		return inputs{}, err
	}
	return inputs{leadership: always{lead}, store: st, epochs: st.Epochs(nodesOf(cfg))}, nil
}

// joinFleet connects to the fleet's etcd: an election for leadership, the shared store
// fenced by it, and a watch of the shared epoch.
func joinFleet(cfg *config.Config, lead func(context.Context) error, reg prometheus.Registerer) (inputs, error) {
	f := cfg.Fleet
	cli, err := etcdconn.Dial(f.Etcd.Dial())
	if err != nil {
		return inputs{}, fmt.Errorf("fleet: etcd: %w", err)
	}
	in := inputs{closers: []io.Closer{cli}}
	fail := func(err error) (inputs, error) {
		cli.Close()
		return inputs{}, err
	}
	if in.member, err = fleet.New(cli, fleet.Options{Name: f.Name, Vantage: f.Vantage, Prefix: f.Etcd.Prefix, TTL: f.SessionTTL,
		Admin: listenerURL(cfg.Admin.Listen, cfg.Admin.TLS.On()), Proxy: listenerURL(cfg.Proxy.Listen, cfg.Proxy.TLS.On()),
		Lead: lead, Registerer: reg}); err != nil {
		return fail(err)
	}
	if in.report, err = fleet.NewReporter(reg); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.Etcd.DialTimeout+5*time.Second)
	defer cancel()
	st, err := state.OpenEtcd(ctx, cli, state.EtcdOptions{Prefix: f.Etcd.Prefix, Guard: in.member})
	if err != nil {
		if explained := etcdconn.Explain(context.Background(), f.Etcd.Dial(), err); explained != err {
			return fail(fmt.Errorf("fleet: %w", explained))
		}
		return fail(fmt.Errorf("fleet: %w (is etcd at %v up?)", err, f.Etcd.Endpoints))
	}
	in.leadership, in.store, in.epochs = in.member, st, st.Epochs(f.StaleAfter, nodesOf(cfg))
	return in, nil
}

// parts are the components only a fleet member runs: the gauges of the fleet, and the
// publication of this member's views for the leader to combine.
func (in inputs) parts(d *Daemon) map[string]func(context.Context) error {
	if in.member == nil {
		return nil
	}
	return map[string]func(context.Context) error{
		"report": func(ctx context.Context) error {
			return in.report.Run(ctx, in.member, in.epochs, func() []decide.Finding {
				if t := d.current(); t != nil {
					return t.views.Findings()
				}
				return nil
			})
		},
		"publish": func(ctx context.Context) error {
			in.member.PublishEach(ctx, d.watcher, time.Now)
			return nil
		},
	}
}

func nodesOf(cfg *config.Config) map[string][]string {
	nodes := map[string][]string{}
	for _, c := range cfg.Clusters {
		nodes[c.Name] = c.Nodes
	}
	return nodes
}
