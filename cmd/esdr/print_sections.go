package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/fleet"
)

// printMirror prints the mirror section of esdr status; active is the cluster that
// takes traffic, preferred the primary of the configuration.
func printMirror(w io.Writer, m *admin.MirrorStatus, active, preferred string) {
	if m == nil {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "mirror:\t%s <-> %s, journal %s\n", m.Pair[0], m.Pair[1], m.JournalDir)
	fmt.Fprintf(tw, "lag:\t%d writes, oldest %.1fs\n", m.LagOps, m.LagSeconds)
	for _, c := range m.Pair {
		fleet := ""
		if o, ok := m.Owed[c]; ok && o != m.Pending[c] {
			fleet = fmt.Sprintf("; %d in the fleet's journals", o)
		}
		fmt.Fprintf(tw, "  %s lacks:\t%d journaled writes (cursor at seq %d)%s\n", c, m.Pending[c], m.Cursors[c], fleet)
		switch {
		case !slices.Contains(m.Fenced, c):
		case c != active && c == preferred:
			fmt.Fprintf(tw, "  %s is read-only:\tfenced when traffic left it; replay them with esdr resync --to %s, then esdr switchover --to %s\n", c, c, c)
		case c != active:
			fmt.Fprintf(tw, "  %s is read-only:\tfenced when traffic left it, so it is not a warm standby: esdr resync --to %s replays them and keeps it writable for the replay\n", c, c)
		default:
			fmt.Fprintf(tw, "  %s is read-only:\tbut active: lift cluster.blocks.read_only on it and the replay resumes\n", c)
		}
	}
	fmt.Fprintf(tw, "journal:\t%d of %d bytes, seq %d durable, %d applied to both\n", m.JournalBytes, m.JournalMaxBytes, m.Durable, m.Applied)
	fmt.Fprintf(tw, "replayed:\t%d since start, %.1f/s, %d retries\n", m.AppliedTotal, m.Rate, m.Retries)
	if m.LastError != "" {
		fmt.Fprintf(tw, "last error:\t%s\n", line(m.LastError))
	}
	for _, r := range m.Members {
		fmt.Fprintf(tw, "  member %s owes:\t%s (reported %s ago, epoch %d)\n", r.Member, fleet.OwedText(r.Owes), r.Reported, r.Epoch)
	}
	if m.Stopped != "" {
		fmt.Fprintf(tw, "REPLICATION STOPPED:\t%s\n", m.Stopped)
		for _, c := range m.Pair {
			if seq := m.StoppedAt[c]; seq != 0 {
				fmt.Fprintf(tw, "  to %s stopped at:\tseq %d (fix the cause, then esdr mirror restart --to %s; or drop it: --skip %d)\n", c, seq, c, seq)
			}
		}
	}
	tw.Flush()
}

// printSnapshot prints the snapshot section of esdr status.
func printSnapshot(w io.Writer, s *admin.SnapshotStatus) {
	if s == nil {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "snapshot sync:\t%s -> %s, repository %s, every %s, indices %v\n", s.From, s.To, s.Repository, s.Interval, s.Indices)
	age := (time.Duration(s.AgeSeconds) * time.Second).String()
	if s.LastGood == nil {
		fmt.Fprintf(tw, "last good:\tnone yet (%s since start)\n", age)
	} else {
		fmt.Fprintf(tw, "last good:\t%s at %s, %s ago (the RPO for writes around esdr)\n",
			s.LastGoodSnapshot, s.LastGood.Format(time.RFC3339), age)
	}
	fmt.Fprintf(tw, "cycles:\t%d, %d failed, %d indices restored\n", s.Cycles, s.Failures, s.Restored)
	if s.Running {
		fmt.Fprintf(tw, "running:\t%s\n", line(s.Phase))
	}
	if s.LastError != "" {
		fmt.Fprintf(tw, "last error:\t%s\n", line(s.LastError))
	}
	if s.LastPruneError != "" {
		fmt.Fprintf(tw, "prune error:\t%s\n", line(s.LastPruneError))
	}
	if s.Paused != "" {
		fmt.Fprintf(tw, "not syncing:\t%s\n", line(s.Paused))
	}
	if s.Kept != "" || s.KeptInRepository > 0 {
		newest := ""
		if s.Kept != "" {
			newest = ", newest " + s.Kept
		}
		fmt.Fprintf(tw, "kept:\t%d snapshots of a cluster's own copy from before the sync restored over it%s; delete them when not needed\n",
			s.KeptInRepository, newest)
	}
	tw.Flush()
}
