package main

import (
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// TestPrintFleet: the operator sees who leads, each member's verdicts, and the finding
// that explains why the leader did not fail over.
func TestPrintFleet(t *testing.T) {
	var b strings.Builder
	printStatus(&b, admin.Status{State: decide.State{Active: "primary", Epoch: 1}, Fleet: &admin.FleetStatus{
		Member: "esdr-a", Vantage: "zone-a", Leading: true, Leader: "esdr-a", EpochAge: "120ms",
		Members: []admin.FleetMember{{Name: "esdr-a", Vantage: "zone-a"}, {Name: "esdr-b", Vantage: "zone-b", Admin: "http://b:9310"}},
		Views: []admin.FleetView{
			{Member: "esdr-a", Verdicts: map[string]health.Verdict{"primary": health.VerdictUp, "standby": health.VerdictUp}},
			{Member: "esdr-b", Verdicts: map[string]health.Verdict{"primary": health.VerdictDown, "standby": health.VerdictUp}},
		},
		Findings: []decide.Finding{{Code: decide.CodePartitionedFromPrimary, Member: "esdr-b", Message: "esdr-b (zone-b) cannot see primary"}},
	}})
	out := b.String()
	for _, want := range []string{"fleet member:     esdr-a (vantage zone-a, leader)", "MEMBER  VANTAGE  ADMIN", "PRIMARY",
		"esdr-b  zone-b   http://b:9310  down", "finding: partitioned-from-primary: esdr-b (zone-b) cannot see primary"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	printStatus(&b, admin.Status{State: decide.State{Active: "primary", Epoch: 1}})
	if strings.Contains(b.String(), "fleet") {
		t.Errorf("embedded status mentions the fleet:\n%s", b.String())
	}
}
