// Package audit checks whether an Elasticsearch or OpenSearch deployment is ready to fail
// over: its node configuration files, a live cluster, and the parity between a primary and
// its standby. Every problem is a Finding carrying one code from a closed catalogue
// (catalogue.go), the evidence seen and the fix; the rules themselves are pure functions
// over what was read, so that they can be tested without a cluster.
package audit

import (
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings: an error stops a failover from working, a warning makes it
// fragile, an info is advice.
type Severity int

// The severities, lowest first.
const (
	Info Severity = iota + 1
	Warning
	Error
)

var severityNames = map[Severity]string{Info: "info", Warning: "warning", Error: "error"}

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads a severity name, for --fail-on.
func ParseSeverity(s string) (Severity, error) {
	for sev, n := range severityNames {
		if strings.EqualFold(s, n) {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("audit: severity %q: want error, warning or info", s)
}

// MarshalText writes the name, so that JSON reports say "warning", not 2.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Area is the part of the deployment a rule looks at.
type Area string

// The areas, in report order.
const (
	AreaFiles  Area = "files"
	AreaLive   Area = "live"
	AreaParity Area = "parity"
)

// Finding is one rule that fired, on one subject (a file, a cluster, an index...).
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Area     Area     `json:"area"`
	Title    string   `json:"title"`
	// Subject names what the finding is about: a file path, a cluster, "primary vs standby".
	Subject string `json:"subject"`
	// Evidence is the values seen, as short human-readable lines.
	Evidence []string `json:"evidence"`
	Fix      string   `json:"fix"`
}

// newFinding fills a Finding from the catalogue. An unknown code is a programming error,
// caught by the catalogue test; it is reported rather than panicking.
func newFinding(code Code, subject string, evidence ...string) Finding {
	r, ok := Catalogue[code]
	if !ok {
		r = Rule{Severity: Error, Area: AreaFiles, Title: "unknown rule " + string(code)}
	}
	return Finding{Code: code, Severity: r.Severity, Area: r.Area, Title: r.Title,
		Subject: subject, Evidence: evidence, Fix: r.Fix}
}

// Report is the outcome of one audit run.
type Report struct {
	Findings []Finding `json:"findings"`
	// Checked lists what was looked at ("file es-1.yml", "cluster http://..."), so that an
	// empty list of findings is not mistaken for "nothing was checked".
	Checked []string `json:"checked"`
	// Reached is false when clusters were asked for and none answered.
	Reached bool `json:"reached"`
}

// Add appends findings.
func (r *Report) Add(fs ...Finding) { r.Findings = append(r.Findings, fs...) }

// Sort orders findings by severity (highest first), then area, code and subject.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		if c := strings.Compare(areaOrder(a.Area), areaOrder(b.Area)); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.Code), string(b.Code)); c != 0 {
			return c
		}
		return strings.Compare(a.Subject, b.Subject)
	})
}

func areaOrder(a Area) string {
	return map[Area]string{AreaFiles: "1", AreaLive: "2", AreaParity: "3"}[a] + string(a)
}

// AtLeast counts the findings of severity s or higher.
func (r *Report) AtLeast(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= s {
			n++
		}
	}
	return n
}

// Codes lists the findings' codes in order, for tests and summaries.
func (r *Report) Codes() []Code {
	out := make([]Code, len(r.Findings))
	for i, f := range r.Findings {
		out[i] = f.Code
	}
	return out
}
