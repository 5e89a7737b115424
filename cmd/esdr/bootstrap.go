package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/bootstrap"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
)

// lookTimeout bounds one read of a cluster during the look; the whole look is bounded
// by bootstrap.DefaultTimeout.
const lookTimeout = 5 * time.Second

// checkBootstrapActive validates --bootstrap-active: empty, or a configured cluster.
func checkBootstrapActive(name string, cfg *config.Config) error {
	clusters := cfg.Policy().Clusters
	if name == "" || slices.Contains(clusters, name) {
		return nil
	}
	return fmt.Errorf("--bootstrap-active %q is not a configured cluster, want one of %s", name, strings.Join(clusters, ", "))
}

// recordLoader is the part of a state store the first start reads.
type recordLoader interface {
	Load(ctx context.Context) (state.Record, error)
}

// firstState is the state --bootstrap-active stores, and its event.
type firstState struct {
	s  decide.State
	ev state.Event
}

// lookFirst runs before anything routes. With a stored state it does nothing (and says
// that --bootstrap-active is ignored, when given). Without one it looks at the clusters
// and targets: told the active cluster, it returns the state to store; not told, it
// returns nil when a first start on the preferred cluster is safe (decide's first
// decision then takes it, as ever), and an error wrapping bootstrap.ErrRefused when not.
func lookFirst(ctx context.Context, cfg *config.Config, st recordLoader, targets []act.Target, active string, log *slog.Logger) (*firstState, error) {
	rec, err := st.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: read the state: %w", err)
	}
	if s := rec.State; s.Initialized() {
		if active != "" {
			log.Warn("--bootstrap-active ignored: the state is already initialised; use esdr switchover to change the active cluster",
				"bootstrap_active", active, "active", s.Active, "epoch", s.Epoch)
		}
		return nil, nil
	}
	src := bootstrap.Sources{Preferred: cfg.Policy().Preferred(), Targets: targets}
	for _, cl := range cfg.Clusters {
		es, err := esclient.New(cl.Nodes, cl.ClientOptions(lookTimeout))
		if err != nil {
			return nil, fmt.Errorf("bootstrap: cluster %s: %w", cl.Name, err)
		}
		defer es.CloseIdleConnections()
		src.Clusters = append(src.Clusters, bootstrap.Cluster{Name: cl.Name, ES: es})
	}
	v := bootstrap.Judge(bootstrap.Read(ctx, src))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if active == "" {
		if err := v.Refusal(src.Preferred, cfg.Policy().Clusters); err != nil {
			return nil, err
		}
		log.Info("no stored state: nothing suggests traffic ever left the preferred cluster; starting on it", "preferred", src.Preferred)
		return nil, nil
	}
	s, ev := bootstrap.Initial(active, v, time.Now())
	log.Warn("no stored state: starting with the cluster named by --bootstrap-active", "active", active, "epoch", s.Epoch, "seen", v.Findings)
	return &firstState{s: s, ev: ev}, nil
}

// store writes f as the first state, unless the store was initialised meanwhile (another
// fleet member told the same, or its first decision): then it leaves it.
func (f *firstState) store(ctx context.Context, st interface {
	recordLoader
	CommitDecision(ctx context.Context, expectRev uint64, s decide.State, events ...state.Event) (state.Record, []state.Event, error)
}) error {
	rec, err := st.Load(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: read the state: %w", err)
	}
	if rec.State.Initialized() {
		return nil
	}
	if _, _, err := st.CommitDecision(ctx, rec.Revision, f.s, f.ev); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("bootstrap: store %s active at epoch %d: %w", f.s.Active, f.s.Epoch, err)
	}
	return nil
}

// bootstrap stores the state --bootstrap-active names, or refuses an unsafe first start.
func (d *daemon) bootstrap(ctx context.Context, cfg *config.Config, active string, log *slog.Logger) error {
	f, err := lookFirst(ctx, cfg, d.store, d.targets, active, log)
	if err != nil || f == nil {
		return err
	}
	return f.store(ctx, d.store)
}

// bootstrap looks before this member serves; the state --bootstrap-active names is
// stored when the member leads (only the leader writes), unless another stored one first.
func (d *fleetDaemon) bootstrap(ctx context.Context, cfg *config.Config, active string, log *slog.Logger) error {
	f, err := lookFirst(ctx, cfg, d.store, d.targets, active, log)
	d.first = f
	return err
}

// bootstrapOrExit runs d.bootstrap before anything serves, and returns exitOK to go on.
// A refusal is printed as it is, for the operator to read; other failures are logged.
func bootstrapOrExit(ctx context.Context, d service, cfg *config.Config, active string, log *slog.Logger, stderr io.Writer) int {
	err := d.bootstrap(ctx, cfg, active, log)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, bootstrap.ErrRefused):
		fmt.Fprintf(stderr, "esdr run: %v\n", err)
	default:
		log.Error("cannot start", "err", err)
	}
	return exitFail
}
