package audit

import (
	"context"
	"time"
)

// Options say what to audit. Each part is optional; at least one should be set.
type Options struct {
	Files []string
	// Env looks up placeholder values in Files; nil: none are set.
	Env func(string) (string, bool)
	// Cluster is audited with the live rules.
	Cluster *Target
	// Primary and Standby, when both set, are each audited with the live rules and then
	// compared with the parity rules.
	Primary, Standby *Target
	// Now is the time snapshot ages are measured against.
	Now time.Time
}

// Run audits what opts names and returns the sorted report. Every network call is
// bounded by the targets' client timeout (and ctx); an unreachable node or cluster is
// a finding.
func Run(ctx context.Context, opts Options) *Report {
	r := &Report{Reached: true}
	if len(opts.Files) > 0 {
		for _, f := range opts.Files {
			r.Checked = append(r.Checked, "file "+f)
		}
		r.Add(CheckFiles(opts.Files, opts.Env)...)
	}
	asked, reached := 0, 0
	live := func(t *Target) *Meta {
		asked++
		r.Checked = append(r.Checked, "cluster "+t.Name)
		c, info, fs := connect(ctx, *t)
		r.Add(fs...)
		if c == nil {
			return nil
		}
		defer c.CloseIdleConnections()
		reached++
		facts, fs := gatherLive(ctx, t.Name, c, info, opts.Now)
		r.Add(fs...)
		r.Add(LiveRules(facts)...)
		if opts.Primary == nil || opts.Standby == nil {
			return nil
		}
		m, fs := gatherMeta(ctx, t.Name, c, info)
		r.Add(fs...)
		return m
	}
	if opts.Cluster != nil {
		live(opts.Cluster)
	}
	if opts.Primary != nil && opts.Standby != nil {
		p, s := live(opts.Primary), live(opts.Standby)
		r.Checked = append(r.Checked, "parity "+opts.Primary.Name+" → "+opts.Standby.Name)
		if p != nil && s != nil {
			r.Add(ParityRules(p, s)...)
		}
	}
	if asked > 0 && reached == 0 {
		r.Reached = false
	}
	r.Sort()
	return r
}
