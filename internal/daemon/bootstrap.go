package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// Bootstrap runs before Run, when nothing routes yet. With a stored state it does
// nothing (and says that active is ignored, when given). Without one it looks at the
// clusters and the targets: told the active cluster, it keeps the state to store, which
// the first term stores unless the store was initialised meanwhile; not told, it
// returns an error wrapping bootstrap.ErrRefused when a first start on the preferred
// cluster is not safe.
func (d *Daemon) Bootstrap(ctx context.Context, active string) error {
	f, err := lookFirst(ctx, d.cfg, d.store, d.targets, active, d.log)
	d.first = f
	return err
}
