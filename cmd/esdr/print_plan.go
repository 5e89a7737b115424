package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
)

// printPlan prints the plan section of esdr status: the last plan and, unless it is done,
// each of its steps with attempts and last error; then the fences still owed.
func printPlan(w io.Writer, st admin.Status) {
	p := st.Plan
	if p == nil && len(st.PendingFences) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if p != nil {
		fmt.Fprintf(tw, "plan:\tepoch %d, %s %s -> %s: %s\n", p.Epoch, p.Action, orDash(p.From), p.To, strings.ToUpper(string(p.Status)))
		if p.Status != act.StatusDone {
			for _, s := range p.Steps {
				detail := s.Note
				if s.Error != "" {
					detail = "last error: " + s.Error
				}
				fmt.Fprintf(tw, "  %s %s:\t%s, %s\t%s\n", s.Kind, s.Name, s.Status, plural(s.Attempts, "attempt"), line(detail))
			}
			if p.Status == act.StatusFailed {
				fmt.Fprintln(tw, "  \tretried in the background; esdr events shows each retry, docs/operations.md, \"Stuck plan\"")
			}
		}
	}
	if len(st.PendingFences) > 0 {
		fmt.Fprintf(tw, "fences owed:\t%s: fenced as soon as they answer again\n", strings.Join(st.PendingFences, ", "))
	}
	tw.Flush()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
