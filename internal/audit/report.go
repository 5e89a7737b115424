package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"error"`
	Warnings int `json:"warning"`
	Infos    int `json:"info"`
}

// Summary counts the report's findings.
func (r *Report) Summary() Summary {
	var s Summary
	for _, f := range r.Findings {
		switch f.Severity {
		case Error:
			s.Errors++
		case Warning:
			s.Warnings++
		case Info:
			s.Infos++
		}
	}
	return s
}

// WriteJSON writes the report as one JSON document for machines.
func (r *Report) WriteJSON(w io.Writer) error {
	doc := struct {
		Summary  Summary   `json:"summary"`
		Reached  bool      `json:"reached"`
		Checked  []string  `json:"checked"`
		Findings []Finding `json:"findings"`
	}{r.Summary(), r.Reached, r.Checked, r.Findings}
	if doc.Findings == nil {
		doc.Findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteText writes the report for people: a summary line, then the findings grouped by
// severity (highest first) and, within each, by area.
func (r *Report) WriteText(w io.Writer) error {
	s := r.Summary()
	var b strings.Builder
	fmt.Fprintf(&b, "esdr audit: %s, %s, %s\n", plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Infos, "info"))
	for _, c := range r.Checked {
		fmt.Fprintf(&b, "  checked %s\n", c)
	}
	for _, sev := range []Severity{Error, Warning, Info} {
		var group []Finding
		for _, f := range r.Findings {
			if f.Severity == sev {
				group = append(group, f)
			}
		}
		if len(group) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d)\n", strings.ToUpper(sev.String()), len(group))
		area := Area("")
		for i, f := range group {
			if f.Area != area {
				area = f.Area
				fmt.Fprintf(&b, "  %s\n", area)
			}
			// Findings of one code are adjacent: title once, then each subject, then the fix.
			if i == 0 || group[i-1].Code != f.Code {
				fmt.Fprintf(&b, "    %s: %s\n", f.Code, f.Title)
			}
			fmt.Fprintf(&b, "      on:   %s\n", f.Subject)
			for _, e := range f.Evidence {
				fmt.Fprintf(&b, "      seen: %s\n", e)
			}
			if i == len(group)-1 || group[i+1].Code != f.Code {
				fmt.Fprintf(&b, "      fix:  %s\n", f.Fix)
			}
		}
	}
	if len(r.Findings) == 0 {
		b.WriteString("\nno findings\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 || word == "info" {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Markdown renders the catalogue as the rules section of docs/audit.md: one table per
// area, then each rule's why and fix.
func Markdown() string {
	var b strings.Builder
	for _, area := range []Area{AreaFiles, AreaLive, AreaParity} {
		var cs []Code
		for c, r := range Catalogue {
			if r.Area == area {
				cs = append(cs, c)
			}
		}
		slices.SortFunc(cs, func(a, c Code) int {
			if d := int(Catalogue[c].Severity) - int(Catalogue[a].Severity); d != 0 {
				return d
			}
			return strings.Compare(string(a), string(c))
		})
		fmt.Fprintf(&b, "### %s rules\n\n", area)
		for _, c := range cs {
			r := Catalogue[c]
			fmt.Fprintf(&b, "#### `%s` (%s): %s\n\n", c, r.Severity, r.Title)
			fmt.Fprintf(&b, "- **Why:** %s\n- **Fix:** %s\n\n", r.Why, r.Fix)
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
