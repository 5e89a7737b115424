package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/audit"
)

// finding builds an audit finding of code as the catalogue describes it.
func finding(code audit.Code, subject string, evidence ...string) audit.Finding {
	r := audit.Catalogue[code]
	return audit.Finding{Code: code, Severity: r.Severity, Area: r.Area, Title: r.Title, Subject: subject, Evidence: evidence}
}

var (
	oneMaster  = finding(audit.LiveMastersTooFew, "standby", "1 master-eligible node: standby-0")
	noIndex    = finding(audit.ParityIndexMissing, "index orders", "12 docs on the primary")
	yellow     = finding(audit.HealthYellow, "primary", "status yellow")
	oldVersion = finding(audit.ParityVersionDiffers, "standby", "primary OpenSearch 2.19.1, standby OpenSearch 2.18.0")
)

func report(fs ...audit.Finding) *audit.Report {
	r := &audit.Report{Reached: true, Checked: []string{"cluster primary", "cluster standby", "parity primary → standby"}}
	r.Add(fs...)
	r.Sort()
	return r
}

// TestAuditCheck covers the audit precondition: errors stop a drill unless accepted by
// their exact code; warnings and infos never do; what was accepted is listed.
func TestAuditCheck(t *testing.T) {
	many := report()
	for i := range 8 {
		many.Add(finding(audit.ParityIndexMissing, fmt.Sprintf("index ix-%d", i)))
	}
	cases := []struct {
		name     string
		rep      *audit.Report
		accept   []audit.Code
		ok       bool
		accepted []audit.Code
		detail   []string // parts of the detail, in any order
		absent   []string // must not be in the detail
	}{
		{name: "no findings", rep: report(), ok: true,
			detail: []string{"no error finding; 0 warnings, 0 infos", "checked cluster primary, cluster standby, parity primary → standby"}},
		{name: "warnings and infos only", rep: report(yellow, oldVersion), ok: true,
			detail: []string{"no error finding; 1 warnings, 1 infos"}, absent: []string{"health-yellow"}},
		{name: "one error refused", rep: report(oneMaster, yellow), ok: false,
			detail: []string{
				"live-masters-too-few on standby: fewer than three master-eligible nodes in the cluster (1 master-eligible node: standby-0)",
				"or accept what you know with --accept-finding live-masters-too-few",
			}},
		{name: "the one error accepted", rep: report(oneMaster, yellow), accept: []audit.Code{audit.LiveMastersTooFew}, ok: true,
			accepted: []audit.Code{audit.LiveMastersTooFew},
			detail:   []string{"no error finding but the accepted ones; 1 warnings", "accepted: live-masters-too-few on standby"}},
		{name: "one of two errors accepted", rep: report(oneMaster, noIndex), accept: []audit.Code{audit.LiveMastersTooFew}, ok: false,
			accepted: []audit.Code{audit.LiveMastersTooFew},
			detail:   []string{"parity-index-missing on index orders: index missing on the standby", "--accept-finding parity-index-missing", "accepted: live-masters-too-few on standby"},
			absent:   []string{"--accept-finding live-masters-too-few"}},
		{name: "accepting a warning's code changes nothing", rep: report(oneMaster, yellow), accept: []audit.Code{audit.HealthYellow}, ok: false,
			detail: []string{"--accept-finding live-masters-too-few", "accepted but not found: health-yellow"}},
		{name: "stale acceptance is named", rep: report(), accept: []audit.Code{audit.LiveMastersTooFew, audit.LiveMastersTooFew}, ok: true,
			detail: []string{"no error finding;", "accepted but not found: live-masters-too-few"}, absent: []string{"live-masters-too-few, live-masters-too-few"}},
		{name: "many of one code: five named, the rest counted", rep: many, ok: false,
			detail: []string{"parity-index-missing on index ix-4", "3 more parity-index-missing"}, absent: []string{"ix-5"}},
		{name: "an unreachable cluster is an error like any other", rep: report(finding(audit.ClusterUnreachable, "standby", "connection refused")), ok: false,
			detail: []string{"cluster-unreachable on standby: no node of the cluster answered (connection refused)"}},
		{name: "no audit", rep: nil, accept: []audit.Code{audit.LiveMastersTooFew}, ok: false,
			detail: []string{"no audit was run"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check, accepted := AuditCheck(c.rep, c.accept)
			if check.Name != auditCheckName || check.OK != c.ok {
				t.Errorf("check %q ok=%t, want %q ok=%t; detail %s", check.Name, check.OK, auditCheckName, c.ok, check.Detail)
			}
			var codes []audit.Code
			for _, a := range accepted {
				codes = append(codes, a.Code)
			}
			if !slices.Equal(codes, c.accepted) {
				t.Errorf("accepted %v, want %v", codes, c.accepted)
			}
			for _, part := range c.detail {
				if !strings.Contains(check.Detail, part) {
					t.Errorf("detail lacks %q:\n%s", part, check.Detail)
				}
			}
			for _, part := range c.absent {
				if strings.Contains(check.Detail, part) {
					t.Errorf("detail has %q:\n%s", part, check.Detail)
				}
			}
		})
	}
}

// TestDrillAudits runs the audit precondition inside a whole drill: it audits the active
// cluster against the chosen standby, a failing audit stops the drill before anything is
// touched, and an accepted finding lets the other checks decide and is reported.
func TestDrillAudits(t *testing.T) {
	cases := []struct {
		name   string
		audit  func(ctx context.Context, active, target admin.ClusterStatus) (*audit.Report, error)
		accept []audit.Code
		ok     bool
		detail string
	}{
		{name: "refused", audit: func(context.Context, admin.ClusterStatus, admin.ClusterStatus) (*audit.Report, error) {
			return report(oneMaster), nil
		}, detail: "live-masters-too-few on standby"},
		{name: "accepted", audit: func(context.Context, admin.ClusterStatus, admin.ClusterStatus) (*audit.Report, error) {
			return report(oneMaster), nil
		}, accept: []audit.Code{audit.LiveMastersTooFew}, ok: true, detail: "accepted: live-masters-too-few on standby"},
		{name: "audit could not run", audit: func(context.Context, admin.ClusterStatus, admin.ClusterStatus) (*audit.Report, error) {
			return nil, errors.New("cluster \"standby\" is not in esdr.yaml")
		}, detail: `not run: cluster "standby" is not in esdr.yaml`},
		{name: "no auditor", detail: "no audit was run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pair []string
			audited := c.audit
			if audited != nil {
				audited = func(ctx context.Context, active, target admin.ClusterStatus) (*audit.Report, error) {
					pair = []string{active.Name, target.Name}
					return c.audit(ctx, active, target)
				}
			}
			d, touched := untouchable(t, wellStatus())
			d.Audit, d.Accept = audited, c.accept
			rep, err := d.Run(t.Context())
			check := rep.Checks[len(rep.Checks)-2] // the audit, before the endpoint's
			if check.Name != auditCheckName || check.OK != c.ok || !strings.Contains(check.Detail, c.detail) {
				t.Errorf("audit check %+v, want ok=%t and %q", check, c.ok, c.detail)
			}
			if c.audit != nil && !slices.Equal(pair, []string{"primary", "standby"}) {
				t.Errorf("audited %v, want the active primary and the chosen standby", pair)
			}
			if c.ok {
				if len(rep.Accepted) != 1 || rep.Accepted[0].Code != audit.LiveMastersTooFew {
					t.Errorf("report's accepted findings %+v", rep.Accepted)
				}
				return // the drill went on to the cluster, which the test has not got
			}
			if !errors.Is(err, ErrPreconditions) {
				t.Fatalf("Run = %v, want ErrPreconditions", err)
			}
			touched()
		})
	}
}
