package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/esdr/esdr/internal/admin"
)

// printFleet prints the fleet section of a status: who leads, who is alive, what each
// member sees (on the leader) and why the leader did not act (findings).
func printFleet(w io.Writer, f *admin.FleetStatus) {
	if f == nil {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	role := "follower"
	if f.Leading {
		role = "leader"
	}
	fmt.Fprintf(tw, "fleet member:\t%s (vantage %s, %s)\n", f.Member, f.Vantage, role)
	fmt.Fprintf(tw, "leader:\t%s\n", orDash(f.Leader))
	fmt.Fprintf(tw, "epoch confirmed:\t%s ago\n", f.EpochAge)
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	views := map[string]admin.FleetView{}
	var clusters []string
	for _, v := range f.Views {
		views[v.Member] = v
		for c := range v.Verdicts {
			if !slices.Contains(clusters, c) {
				clusters = append(clusters, c)
			}
		}
	}
	sort.Strings(clusters)
	fmt.Fprintf(tw, "MEMBER\tVANTAGE\tADMIN\t%s\n", strings.ToUpper(strings.Join(clusters, "\t")))
	for _, m := range f.Members {
		row := []string{m.Name, m.Vantage, orDash(m.Admin)}
		for _, c := range clusters {
			row = append(row, orDash(string(views[m.Name].Verdicts[c])))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	for _, fd := range f.Findings {
		fmt.Fprintf(w, "finding: %s: %s\n", fd.Code, fd.Message)
	}
}
