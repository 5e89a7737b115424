package snapshot

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// restore replaces sb's copy of one index with the snapshot's, in place: the
// existing index is closed and the snapshot restored over it (files identical to the
// snapshot's are reused, so a refresh copies only what changed), then the wait is for
// every primary shard of the index to be recovered from this snapshot. An index with a
// different number of shards is deleted first: a restore cannot go over it. An alias of
// that name on the target is refused.
func (s *Sync) restore(ctx context.Context, sb cluster, t *taken, idx string) error {
	shards := t.shards[idx]
	var cat []struct {
		Index  string `json:"index"`
		Status string `json:"status"`
		Pri    string `json:"pri"`
	}
	err := sb.get(ctx, http.MethodGet, "/_cat/indices/"+esc(idx)+"?format=json&h=index,status,pri&expand_wildcards=all", nil, &cat)
	closed := false
	switch {
	case isType(err, http.StatusNotFound, "index_not_found_exception"):
		// a new index: a plain restore
	case err != nil:
		return err
	case len(cat) != 1 || cat[0].Index != idx:
		names := make([]string, len(cat))
		for i, c := range cat {
			names[i] = c.Index
		}
		return fmt.Errorf("snapshot: %s: %s names %v, not one index of that name (an alias?); not restoring over it", sb.name, idx, names)
	default:
		pri, perr := strconv.Atoi(cat[0].Pri)
		switch {
		case perr != nil:
			return fmt.Errorf("snapshot: %s: GET /_cat/indices/%s: unreadable shard count %.20q", sb.name, idx, cat[0].Pri)
		case pri != shards:
			s.setPhase(fmt.Sprintf("restore %s: deleting the copy of %s (%d shards, snapshot has %d)", idx, sb.name, pri, shards))
			if _, err := sb.call(ctx, http.MethodDelete, "/"+esc(idx), nil); err != nil {
				return err
			}
		case cat[0].Status != "close":
			s.setPhase(fmt.Sprintf("restore %s: closing the copy of %s", idx, sb.name))
			if _, err := sb.call(ctx, http.MethodPost, "/"+esc(idx)+"/_close", nil); err != nil {
				return err
			}
			closed = true
		}
	}
	body := map[string]any{"indices": idx, "include_global_state": false, "include_aliases": true}
	if len(s.opts.IndexSettings) > 0 {
		body["index_settings"] = s.opts.IndexSettings
	}
	path := "/_snapshot/" + esc(s.opts.Repository.Name) + "/" + esc(t.name) + "/_restore?wait_for_completion=false"
	if _, err := sb.call(ctx, http.MethodPost, path, body); err != nil {
		if closed {
			err = s.reopen(ctx, sb, idx, err)
		}
		return err
	}
	return s.waitRestored(ctx, sb, t.name, idx, shards)
}

// reopen opens an index this cycle closed and whose restore was refused, so that the
// target keeps serving its previous copy, and returns the refusal.
func (s *Sync) reopen(ctx context.Context, sb cluster, idx string, cause error) error {
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := sb.call(octx, http.MethodPost, "/"+esc(idx)+"/_open", nil); err != nil {
		return fmt.Errorf("%w; index %s is left closed on %s: reopening it failed: %v", cause, idx, sb.name, err)
	}
	return fmt.Errorf("%w; index %s was reopened on %s with its previous data", cause, idx, sb.name)
}

// recovery is the part of GET <index>/_recovery the wait reads.
type recovery map[string]struct {
	Shards []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Stage   string `json:"stage"`
		Primary bool   `json:"primary"`
		Source  struct {
			Snapshot string `json:"snapshot"`
		} `json:"source"`
		Index struct {
			Size struct {
				Percent string `json:"percent"`
			} `json:"size"`
		} `json:"index"`
	} `json:"shards"`
}

// waitRestored waits, bounded by RestoreTimeout, until every primary shard of idx has
// been recovered from snapshot snap. Replicas are not waited for: a standby of fewer
// nodes may never allocate them.
func (s *Sync) waitRestored(ctx context.Context, sb cluster, snap, idx string, shards int) error {
	wctx, cancel := context.WithTimeout(ctx, s.opts.RestoreTimeout)
	defer cancel()
	done, progress := 0, ""
	for {
		var rec recovery
		if err := sb.get(wctx, http.MethodGet, "/"+esc(idx)+"/_recovery", nil, &rec); err != nil {
			if wctx.Err() != nil && ctx.Err() == nil {
				break
			}
			return err
		}
		doneIDs, pct := map[int]bool{}, []string{}
		for _, sh := range rec[idx].Shards {
			if !sh.Primary || sh.Type != "SNAPSHOT" || sh.Source.Snapshot != snap {
				continue
			}
			if sh.Stage == "DONE" {
				doneIDs[sh.ID] = true
			}
			pct = append(pct, fmt.Sprintf("%d:%s %s", sh.ID, sh.Stage, sh.Index.Size.Percent))
		}
		done, progress = len(doneIDs), strings.Join(pct, ", ")
		s.setPhase(fmt.Sprintf("restore %s from %s: %d of %d primaries done [%s]", idx, snap, done, shards, progress))
		if done >= shards {
			return nil
		}
		if sleep(wctx, s.opts.PollInterval) != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			break
		}
	}
	return fmt.Errorf("snapshot: %s: restore of %s from %s not complete after %v: %d of %d primaries done [%s]; "+
		"the index stays unavailable there until it completes", sb.name, idx, snap, s.opts.RestoreTimeout, done, shards, progress)
}
