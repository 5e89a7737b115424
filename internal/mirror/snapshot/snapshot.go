// Package snapshot keeps the other cluster's copy of indices written around esdr (directly
// to the active cluster, not through its proxy) fresh: on an interval it snapshots chosen
// indices of the active cluster into a repository both clusters share, restores them over
// the other's copies, prunes old snapshots, and reports the age of the last good one,
// which is the recovery point for that traffic. It runs from the first cluster to the
// second (Forward) or, after a failover, back (Reverse), moving the repository's one
// writer with it.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by New when the Options leave them zero.
const (
	DefaultInterval        = 15 * time.Minute
	DefaultKeep            = 5
	DefaultPrefix          = "esdr-sync"
	DefaultSnapshotTimeout = 30 * time.Minute
	DefaultRestoreTimeout  = 30 * time.Minute
	DefaultPollInterval    = 2 * time.Second
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrBadOptions: the Options cannot work; the message names the field.
	ErrBadOptions = errors.New("snapshot: bad options")
	// ErrBusy: a cycle is already running on this Sync.
	ErrBusy = errors.New("snapshot: a sync cycle is already running")
	// ErrIdle: Run is not running, so there is no loop for Trigger to wake.
	ErrIdle = errors.New("snapshot: the sync is not running")
)

// doer is the one call the sync needs from each cluster; *esclient.Client has it (bounded
// in size and time, credentials in headers, bodies sent as application/json).
type doer interface {
	Do(ctx context.Context, method, path string, body io.Reader) (int, []byte, error)
}

// Repository is the snapshot repository both clusters register under one name: type fs
// on the test bed (its location must be under every node's path.repo), s3 in production.
// esdr registers it where it is missing, writable on the cycle's source and read-only on
// its target, flips readonly when the direction changes, and changes nothing else of a
// registration.
type Repository struct {
	Name     string         // e.g. "esdr-sync"
	Type     string         // fs, s3, gcs, azure, ...
	Settings map[string]any // the type's settings, e.g. {"location": "/srv/repo"} or {"bucket": "b"}
}

// Options configure a Sync; a config block maps onto them. Zero durations, Keep and
// Prefix take the defaults above.
type Options struct {
	Repository Repository
	// Names name the first and the second cluster in errors, phases and reports; the
	// defaults are "primary" and "standby".
	Names [2]string
	// Indices are the index names or patterns (* only) to snapshot and restore: those
	// written around esdr. No exclusions (-x), no commas, no _all.
	Indices []string
	// Mirrored are the patterns of the indices written through esdr's proxy in mirror
	// mode, replayed to the standby by the journal (the configuration names them: mirror
	// mode replays whatever arrives). A pattern of Indices that can match the
	// same index as one of these is refused: restoring a snapshot over a mirrored index
	// would discard the writes mirrored since the snapshot began.
	Mirrored []string
	Interval time.Duration // between the starts of two cycles
	Keep     int           // snapshots of this sync kept in the repository, newest first
	Prefix   string        // snapshot names are <Prefix>-<UTC time>; [a-z0-9-]
	// SnapshotTimeout bounds the wait for a snapshot; RestoreTimeout the wait for the
	// restore of one index. PollInterval is how often progress is asked for.
	SnapshotTimeout time.Duration
	RestoreTimeout  time.Duration
	PollInterval    time.Duration
	// IndexSettings are applied to every restored index (the restore's index_settings),
	// for a standby of another shape, e.g. {"index.number_of_replicas": 0}.
	IndexSettings map[string]any
	// OnCycle, if set, is called after every cycle with its report (to log it, once).
	OnCycle func(Report)
	// Guard, if set, is called before each change a cycle makes — the snapshot on the
	// primary, each restore on the standby — naming it; an error ends the cycle there,
	// unchanged (a fleet member that no longer leads must not restore).
	Guard func(ctx context.Context, change string) error
	Now   func() time.Time
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)
	prefixRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)
	patternRE = regexp.MustCompile(`^[a-z0-9_.*][a-z0-9_.*+-]{0,254}$`)
)

// withDefaults validates o and fills in the defaults; errors name the field.
func (o Options) withDefaults() (Options, error) {
	bad := func(format string, a ...any) (Options, error) {
		return o, fmt.Errorf("%w: %s", ErrBadOptions, fmt.Sprintf(format, a...))
	}
	r := o.Repository
	switch {
	case !nameRE.MatchString(r.Name):
		return bad("repository.name %q: want 1-100 of a-z, 0-9, _ and -", r.Name)
	case !nameRE.MatchString(r.Type):
		return bad("repository.type %q: want a repository type such as fs or s3", r.Type)
	case r.Settings["readonly"] != nil:
		return bad("repository.settings.readonly: set by esdr (false on the cluster snapshots are taken from, true on the other)")
	case len(o.Indices) == 0:
		return bad("indices: want at least one index name or pattern")
	}
	for _, p := range append(append([]string(nil), o.Indices...), o.Mirrored...) {
		if !patternRE.MatchString(p) || p == "_all" || strings.HasPrefix(p, "_") {
			return bad("index pattern %q: want a lowercase index name, * as wildcard, no exclusions, commas or _all", p)
		}
	}
	for _, p := range o.Indices {
		for _, m := range o.Mirrored {
			if globsOverlap(p, m) {
				return bad("index pattern %q overlaps mirrored pattern %q: writes through esdr's proxy are "+
					"replayed by the journal, and restoring a snapshot over them would discard those mirrored "+
					"since the snapshot began; snapshot only indices written around esdr", p, m)
			}
		}
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(o.Prefix) {
		return bad("prefix %q: want 1-50 of a-z, 0-9 and -", o.Prefix)
	}
	if o.Keep < 0 {
		return bad("keep %d: want at least 1", o.Keep)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"interval", &o.Interval, DefaultInterval}, {"snapshot_timeout", &o.SnapshotTimeout, DefaultSnapshotTimeout},
		{"restore_timeout", &o.RestoreTimeout, DefaultRestoreTimeout}, {"poll_interval", &o.PollInterval, DefaultPollInterval},
	} {
		if *d.v < 0 {
			return bad("%s %v: want a positive duration", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.Keep == 0 {
		o.Keep = DefaultKeep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Names[0] == "" || o.Names[1] == "" || o.Names[0] == o.Names[1] {
		o.Names = [2]string{"primary", "standby"}
	}
	return o, nil
}

// Sync snapshots one cluster's chosen indices and restores them on the other. Its methods
// are safe for concurrent use; one cycle runs at a time.
type Sync struct {
	sides   [2]cluster // the first cluster and the second
	opts    Options
	created time.Time

	cycle   sync.Mutex // held for the length of a cycle
	running atomic.Bool
	wake    chan struct{} // Trigger's: Run's wait between cycles ends at once

	mu    sync.Mutex
	stats Stats
}

// New validates opts and returns a Sync between first and second, normally two
// *esclient.Client built with a timeout long enough for one snapshot API call (30 s).
func New(first, second doer, opts Options) (*Sync, error) {
	if first == nil || second == nil {
		return nil, fmt.Errorf("%w: a client for each cluster is required", ErrBadOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Sync{sides: [2]cluster{{o.Names[0], first}, {o.Names[1], second}}, opts: o,
		created: o.Now(), wake: make(chan struct{}, 1)}, nil
}

// Direction is which way a cycle copies.
type Direction int

const (
	// Forward copies from the first cluster to the second: the preferred cluster is active.
	Forward Direction = iota
	// Reverse copies from the second cluster to the first: after a failover, so that the
	// first holds what the second took around esdr when traffic goes back to it.
	Reverse
)

// ends returns the cycle's source and target for d.
func (s *Sync) ends(d Direction) (from, to cluster) {
	if d == Reverse {
		return s.sides[1], s.sides[0]
	}
	return s.sides[0], s.sides[1]
}
