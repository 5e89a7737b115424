package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/mirror"
	"github.com/prometheus/client_golang/prometheus"
)

// applyTimeout bounds one replay request to a cluster (a _bulk of up to 500 records).
const applyTimeout = 60 * time.Second

// mirrorSetup is write mirroring in `esdr run` on the embedded default: the journal,
// the proxy's write path and the replicator applying the journal to the pair's other
// cluster.
type mirrorSetup struct {
	cfg  *config.MirrorConfig
	pair mirror.Pair
	j    *mirror.Journal
	reps map[string]*mirror.Replicator // by target cluster
	m    *mirror.Mirror
	// peers are the other members' journals in a fleet; nil on the embedded default.
	peers *fleet.MirrorPeers
	log   *slog.Logger
	// clients reach each cluster of the pair (replay, count comparison).
	clients esClients

	mu      sync.Mutex
	stopped map[string]error  // by target: why replication to it stopped, until restarted
	stops   map[string]uint64 // by target: how many times it stopped (each one is an event)
	// lastStop is why each target's replication last stopped, kept after a restart so
	// that its event is recorded; stopWake tells the events at once.
	lastStop map[string]error
	stopWake chan struct{}
	// restart wakes a target's stopped replication (esdr mirror restart); one buffered
	// signal each.
	restart map[string]chan struct{}
}

// openMirror opens the journal (logging what recovery found), and builds the
// replicator and the write path routed by epochs.
func openMirror(cfg *config.Config, epochs epoch.Source, peers *fleet.MirrorPeers, reg prometheus.Registerer, log *slog.Logger) (*mirrorSetup, error) {
	mc := cfg.Mirror
	pair, err := mirror.NewPair(cfg.Clusters[0].Name, cfg.Clusters[1].Name)
	if err != nil {
		return nil, err
	}
	j, rep, err := mirror.Open(mc.JournalDir, mirror.Options{MaxBytes: int64(mc.MaxBytes), SegmentBytes: int64(mc.SegmentBytes),
		MaxRecordBytes: min(int64(mc.MaxBody)+64<<10, int64(mc.MaxBytes)/2)})
	if err != nil {
		return nil, fmt.Errorf("mirror: journal %s: %w", mc.JournalDir, err)
	}
	s := newMirrorSetup(mc, pair, j, log)
	s.peers = peers
	log.Info("mirror: journal opened", "dir", mc.JournalDir, "segments", rep.Segments, "first_seq", rep.FirstSeq,
		"last_seq", rep.LastSeq, "applied_seq", rep.Applied, "pair", []string{pair.A, pair.B})
	if t := rep.Truncated; t != nil {
		log.Warn("mirror: the journal ended in a record torn by a crash; truncated to the last valid record (no client was told it succeeded)",
			"file", t.File, "offset", t.Offset, "bytes", t.Bytes, "reason", t.Reason)
	}
	if err := s.build(cfg, epochs, reg); err != nil {
		_ = j.Close()
		return nil, err
	}
	return s, nil
}

// newMirrorSetup is the setup around an open journal, before build adds the replicators
// and the write path.
func newMirrorSetup(mc *config.MirrorConfig, pair mirror.Pair, j *mirror.Journal, log *slog.Logger) *mirrorSetup {
	return &mirrorSetup{cfg: mc, pair: pair, j: j, log: log, stopped: map[string]error{}, stops: map[string]uint64{},
		lastStop: map[string]error{}, stopWake: make(chan struct{}, 1),
		restart: map[string]chan struct{}{pair.A: make(chan struct{}, 1), pair.B: make(chan struct{}, 1)}}
}

func (s *mirrorSetup) build(cfg *config.Config, epochs epoch.Source, reg prometheus.Registerer) error {
	appliers := map[string]mirror.Applier{}
	s.clients = esClients{}
	for _, cl := range cfg.Clusters[:2] {
		opts := cl.ClientOptions(applyTimeout)
		opts.MaxBody = 64 << 20
		c, err := esclient.New(cl.Nodes, opts)
		if err != nil {
			return fmt.Errorf("mirror: cluster %s: %w", cl.Name, err)
		}
		appliers[cl.Name] = mirror.NewHTTPApplier(c)
		s.clients[cl.Name] = c
	}
	var err error
	if s.reps, err = mirror.PairReplicators(s.j, s.pair, appliers, mirror.ReplicatorOptions{}); err != nil {
		return err
	}
	hopts := mirror.HandlerOptions{MaxBody: int64(s.cfg.MaxBody), DrainWait: s.cfg.DrainWait, Log: s.log}
	if s.peers != nil {
		hopts.Peers = s.peers
	}
	if s.m, err = mirror.NewMirror(s.j, s.pair, epochs, hopts); err != nil {
		return err
	}
	return s.register(reg)
}

// wrap is mirror mode's write path around the proxy's handler; nil when mirror mode is
// off (s is nil).
func (s *mirrorSetup) wrap() func(http.Handler) http.Handler {
	if s == nil {
		return nil
	}
	return s.m.Wrap
}

// run replicates to both clusters until ctx ends. When replication to one stops (a
// record refused by it, a corrupt journal), it says so loudly and once; the other
// direction goes on, the proxy keeps serving, and writes are journaled until the
// journal is full, then refused. A stopped replication waits for esdr mirror restart
// (restartMirror) and runs again from its checkpoint, in the same goroutine.
func (s *mirrorSetup) run(ctx context.Context) error {
	var wg sync.WaitGroup
	for target, rep := range s.reps {
		wg.Go(func() { s.replicate(ctx, target, rep) })
	}
	wg.Wait()
	<-ctx.Done()
	return nil
}

// replicate runs rep until ctx ends, again after each restart.
func (s *mirrorSetup) replicate(ctx context.Context, target string, rep *mirror.Replicator) {
	for {
		err := rep.Run(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		s.log.Error("mirror: replication stopped; a human must act (writes are journaled until the journal is full)",
			"to", target, "err", err)
		s.mu.Lock()
		s.stopped[target] = err
		s.stops[target]++
		s.lastStop[target] = err
		s.mu.Unlock()
		select {
		case s.stopWake <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-s.restart[target]:
		}
		from, _ := s.j.Cursor(target)
		s.log.Info("mirror: replication restarted", "to", target, "from_seq", from+1)
	}
}

// stoppedFor is why replication stopped, per target, joined; "" while it runs.
func (s *mirrorSetup) stoppedFor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, t := range []string{s.pair.A, s.pair.B} {
		if err := s.stopped[t]; err != nil {
			out = append(out, "to "+t+": "+err.Error())
		}
	}
	return strings.Join(out, "; ")
}

// Close closes the journal, after everything that appends to it has stopped.
func (s *mirrorSetup) Close() error { return s.j.Close() }

// owed is what cluster still lacks of every journal esdr knows of: this member's and,
// in a fleet, every member's last report (a dead member's too, until esdr mirror
// forget), so that a resync waits for the writes other members' proxies took.
func (s *mirrorSetup) owed(cluster string) uint64 {
	own := s.m.Pending(cluster)
	if s.peers == nil {
		return own
	}
	total, _ := fleet.Owed(s.peers.Reports(), cluster, time.Now())
	return max(own, total)
}

// status is the mirror section of esdr status.
func (s *mirrorSetup) status() *admin.MirrorStatus {
	js := s.j.Stats()
	st := &admin.MirrorStatus{Pair: []string{s.pair.A, s.pair.B}, JournalDir: s.cfg.JournalDir,
		JournalBytes: js.Bytes, JournalMaxBytes: js.MaxBytes, Durable: js.Durable, Applied: js.Applied,
		Pending: map[string]uint64{}, Owed: map[string]uint64{}, Cursors: map[string]uint64{}, Stopped: s.stoppedFor(), StoppedAt: s.stoppedAt()}
	var errs []string
	for _, t := range st.Pair {
		rs := s.reps[t].Stats()
		st.Pending[t] = s.m.Pending(t)
		st.Owed[t] = s.owed(t)
		st.Cursors[t], _ = s.j.Cursor(t)
		st.LagOps += st.Pending[t]
		st.LagSeconds = max(st.LagSeconds, rs.LagAge.Seconds())
		st.AppliedTotal += rs.Applied
		st.Rate += rs.Rate
		st.Retries += rs.Retries
		if rs.LastError != nil {
			errs = append(errs, "to "+t+": "+rs.LastError.Error())
		}
		if rs.Fenced {
			st.Fenced = append(st.Fenced, t)
		}
	}
	st.LastError = strings.Join(errs, "; ")
	if s.peers != nil {
		for _, r := range s.peers.Reports() {
			st.Members = append(st.Members, admin.MirrorMember{Member: r.Member, Epoch: r.Epoch,
				Reported: time.Since(r.At).Round(time.Second).String(), Owes: r.Owes})
		}
		sort.Slice(st.Members, func(i, j int) bool { return st.Members[i].Member < st.Members[j].Member })
	}
	return st
}

// register exports the lag, the journal's size and the replay counter.
func (s *mirrorSetup) register(reg prometheus.Registerer) error {
	return mirror.RegisterMetrics(reg, mirror.MetricsSource{Replicators: s.reps, Journal: s.j, Mirror: s.m,
		Stopped: func() bool { return s.stoppedFor() != "" }})
}
