package snapshot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrFenced: the cycle's target is fenced (cluster.blocks.read_only), so no restore can
// go over it; the cycle changed nothing. esdr fences the cluster traffic leaves; its
// fence is lifted by `esdr resync --to` it, or by the plan that makes it active again.
var ErrFenced = errors.New("snapshot: the target is fenced")

// fenceSetting is the block esdr's fence sets (internal/act); a restore needs it off.
const fenceSetting = "cluster.blocks.read_only"

// checkUnfenced refuses a cycle towards a cluster that has the fence on: restores there
// are refused, and the writer must not move to a cluster that cannot be restored.
func (s *Sync) checkUnfenced(ctx context.Context, to cluster) error {
	var set struct {
		Persistent map[string]any `json:"persistent"`
		Transient  map[string]any `json:"transient"`
	}
	if err := to.get(ctx, http.MethodGet, "/_cluster/settings?flat_settings=true", nil, &set); err != nil {
		return err
	}
	v, ok := set.Transient[fenceSetting] // a transient value overrides a persistent one
	if !ok {
		v = set.Persistent[fenceSetting]
	}
	if sameValue(v, true) {
		return fmt.Errorf("%w: %s has %s=true (esdr fences the cluster traffic leaves); `esdr resync --to %s` lifts it",
			ErrFenced, to.name, fenceSetting, to.name)
	}
	return nil
}

// ensureWriter makes from the repository's one writer and to a reader, registering it
// where it is missing. When to was the writer (traffic has just moved away from it), its
// own copy of the chosen indices is snapshotted first as rep.Kept, for what it took around
// esdr since the last cycle towards from: the restores about to go over it would discard
// that. to is made read-only before from is made writable, so the repository never has
// two writers, and from is registered anew, so it forgets what it knew of the repository
// before to wrote.
func (s *Sync) ensureWriter(ctx context.Context, from, to cluster, rep *Report) error {
	fromReg, err := s.registration(ctx, from)
	if err != nil {
		return err
	}
	toReg, err := s.registration(ctx, to)
	if err != nil {
		return err
	}
	switch {
	case fromReg == writable && toReg == writable:
		return fmt.Errorf("snapshot: repository %s is registered writable on both %s and %s: a repository must have "+
			"one writer, and esdr cannot tell which wrote last; register it read-only on %s (or delete it there) "+
			"once you know %s holds nothing it must keep", s.opts.Repository.Name, from.name, to.name, to.name, to.name)
	case toReg == writable:
		if rep.Kept, err = s.keep(ctx, to); err != nil {
			return err
		}
		if err := s.register(ctx, to, readOnly); err != nil {
			return err
		}
	}
	if fromReg != writable {
		if err := s.register(ctx, from, writable); err != nil {
			return err
		}
	}
	if toReg == unregistered { // after the writer, which creates the repository's storage
		return s.register(ctx, to, readOnly)
	}
	return nil
}

// keep snapshots cl's chosen indices as <prefix>.kept-<time>, a name prune never matches,
// and returns the name. cl is the repository's writer still.
func (s *Sync) keep(ctx context.Context, cl cluster) (string, error) {
	name := keptName(s.opts.Prefix, s.opts.Now())
	if err := s.guard(ctx, "snapshot "+name+" of "+cl.name+"'s own copy"); err != nil {
		return "", err
	}
	if _, err := s.take(ctx, cl, name); err != nil {
		return "", fmt.Errorf("%w (keeping %s's own copy before restoring over it)", err, cl.name)
	}
	return name, nil
}

// keptName is the name of a kept snapshot: the cycle's name with ".kept" after the
// prefix, which cannot start with <prefix>- (a prefix has no dot).
func keptName(prefix string, now time.Time) string {
	return prefix + ".kept" + snapshotName("", now)
}
