package snapshot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// prune deletes, through p (the repository's writer), this sync's snapshots beyond the newest Keep successful ones (failed
// ones too), never one still running and never keep. Only names with this sync's prefix
// are considered: other snapshots in the repository are not esdr's to delete.
func (s *Sync) prune(ctx context.Context, p cluster, keep string) (int, error) {
	repo := "/_snapshot/" + esc(s.opts.Repository.Name) + "/"
	var info snapshotInfo
	err := p.get(ctx, http.MethodGet, repo+esc(s.opts.Prefix)+"-*", nil, &info)
	if isType(err, http.StatusNotFound, "snapshot_missing_exception") {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	snaps := info.Snapshots
	sort.SliceStable(snaps, func(i, j int) bool { // newest first
		if snaps[i].Start != snaps[j].Start {
			return snaps[i].Start > snaps[j].Start
		}
		return snaps[i].Snapshot > snaps[j].Snapshot
	})
	kept, deleted := 0, 0
	var errs []error
	for _, sn := range snaps {
		switch {
		case !strings.HasPrefix(sn.Snapshot, s.opts.Prefix+"-"), sn.Snapshot == keep,
			sn.State == "IN_PROGRESS":
			continue
		case sn.State == "SUCCESS" && kept < s.opts.Keep-1: // keep itself is the Keep-th
			kept++
			continue
		}
		s.setPhase("prune: deleting snapshot " + sn.Snapshot)
		if _, err := p.call(ctx, http.MethodDelete, repo+esc(sn.Snapshot), nil); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		deleted++
	}
	if err := errors.Join(errs...); err != nil {
		return deleted, fmt.Errorf("snapshot: prune: %w", err)
	}
	return deleted, nil
}

// countKept counts the kept snapshots (<prefix>.kept-*, writer.go) in the repository,
// through p: an operator deletes them once nothing in them is needed, and the count is
// what reminds them. -1 when the repository cannot say.
func (s *Sync) countKept(ctx context.Context, p cluster) int {
	var info snapshotInfo
	err := p.get(ctx, http.MethodGet, "/_snapshot/"+esc(s.opts.Repository.Name)+"/"+esc(s.opts.Prefix)+".kept-*", nil, &info)
	switch {
	case isType(err, http.StatusNotFound, "snapshot_missing_exception"):
		return 0
	case err != nil:
		return -1
	}
	n := 0
	for _, sn := range info.Snapshots {
		if strings.HasPrefix(sn.Snapshot, s.opts.Prefix+".kept-") {
			n++
		}
	}
	return n
}
