package drill

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/audit"
)

// auditCheckName is the name of the audit precondition in the report.
const auditCheckName = "esdr audit finds no error"

// maxNamedPerCode bounds how many findings of one code the check's detail names: a standby
// missing a hundred indices is one line, not a hundred.
const maxNamedPerCode = 5

// AcceptedFinding is an audit finding at severity error that the operator accepted by its
// code (--accept-finding), so that it did not stop the drill. The report lists each one:
// a drill that passed with known defects says which.
type AcceptedFinding struct {
	Code    audit.Code `json:"code"`
	Subject string     `json:"subject"`
	Title   string     `json:"title"`
}

// checkAudit runs the audit on the active cluster and the chosen target (none when no
// standby is up) and judges it; the accepted findings go into the report.
func (d *Drill) checkAudit(ctx context.Context, r *Report, st admin.Status, target string) Check {
	var active, to admin.ClusterStatus
	for _, c := range st.Clusters {
		switch c.Name {
		case st.State.Active:
			active = c
		case target:
			to = c
		}
	}
	switch {
	case active.Name == "":
		return Check{Name: auditCheckName, Detail: "not run: no active cluster to audit (see above)"}
	case d.Audit == nil:
		c, _ := AuditCheck(nil, d.Accept)
		return c
	}
	rep, err := d.Audit(ctx, active, to)
	if err != nil {
		return Check{Name: auditCheckName, Detail: "not run: " + err.Error()}
	}
	c, accepted := AuditCheck(rep, d.Accept)
	r.Accepted = accepted
	return c
}

// AuditCheck turns an audit of the clusters a drill moves between into its precondition.
// An error finding means the failover itself cannot be trusted (no majority of masters, an
// index the standby lacks): a drill over it measures the defect, so every such finding
// fails the check unless its code is in accept. Accepting is by exact code only, never by
// severity or wholesale, so that a new kind of error still stops the drill. Warnings and
// infos never fail it; they are counted in the detail. Accepted codes that the audit did
// not report are named too: an acceptance that no longer matches anything is stale.
func AuditCheck(rep *audit.Report, accept []audit.Code) (Check, []AcceptedFinding) {
	c := Check{Name: auditCheckName}
	if rep == nil {
		c.Detail = "no audit was run; nothing can vouch for the clusters"
		return c, nil
	}
	var refused []audit.Finding
	var accepted []AcceptedFinding
	seen := map[audit.Code]bool{}
	for _, f := range rep.Findings {
		if f.Severity < audit.Error {
			continue
		}
		seen[f.Code] = true
		if slices.Contains(accept, f.Code) {
			accepted = append(accepted, AcceptedFinding{Code: f.Code, Subject: f.Subject, Title: f.Title})
			continue
		}
		refused = append(refused, f)
	}
	var parts []string
	if len(refused) > 0 {
		parts = append(parts, describe(refused))
		codes := uniqueCodes(refused)
		parts = append(parts, fmt.Sprintf("fix them (esdr audit -c esdr.yaml shows the evidence and the fix), or accept what you know with %s",
			"--accept-finding "+strings.Join(codes, " --accept-finding ")))
	} else {
		none := "no error finding"
		if len(accepted) > 0 {
			none = "no error finding but the accepted ones"
		}
		s := rep.Summary()
		parts = append(parts, fmt.Sprintf("%s; %d warnings, %d infos (esdr audit -c esdr.yaml lists them)", none, s.Warnings, s.Infos))
	}
	if len(accepted) > 0 {
		parts = append(parts, "accepted: "+describeAccepted(accepted))
	}
	var stale []string
	for _, code := range accept {
		if !seen[code] && !slices.Contains(stale, string(code)) {
			stale = append(stale, string(code))
		}
	}
	if len(stale) > 0 {
		parts = append(parts, "accepted but not found: "+strings.Join(stale, ", "))
	}
	if len(rep.Checked) > 0 {
		parts = append(parts, "checked "+strings.Join(rep.Checked, ", "))
	}
	c.OK = len(refused) == 0
	c.Detail = strings.Join(parts, "; ")
	return c, accepted
}

// describe names each finding by code, subject, title and evidence, at most
// maxNamedPerCode per code.
func describe(fs []audit.Finding) string {
	var out []string
	per := map[audit.Code]int{}
	for _, f := range fs {
		per[f.Code]++
		if per[f.Code] > maxNamedPerCode {
			continue
		}
		s := fmt.Sprintf("%s on %s: %s", f.Code, f.Subject, f.Title)
		if len(f.Evidence) > 0 {
			s += " (" + strings.Join(f.Evidence, "; ") + ")"
		}
		out = append(out, s)
	}
	for _, code := range uniqueCodes(fs) {
		if n := per[audit.Code(code)] - maxNamedPerCode; n > 0 {
			out = append(out, fmt.Sprintf("%d more %s", n, code))
		}
	}
	return strings.Join(out, "; ")
}

func describeAccepted(as []AcceptedFinding) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = fmt.Sprintf("%s on %s", a.Code, a.Subject)
	}
	return strings.Join(out, ", ")
}

// uniqueCodes lists the findings' codes once each, in order of first appearance.
func uniqueCodes(fs []audit.Finding) []string {
	var codes []string
	for _, f := range fs {
		if !slices.Contains(codes, string(f.Code)) {
			codes = append(codes, string(f.Code))
		}
	}
	return codes
}
