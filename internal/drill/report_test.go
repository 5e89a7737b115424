package drill

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

func TestPrecheck(t *testing.T) {
	healthy := func() admin.Status {
		return admin.Status{
			State: decide.State{Active: "east", Epoch: 2},
			Clusters: []admin.ClusterStatus{
				{Name: "east", Active: true, Observation: health.Observation{Verdict: health.VerdictUp}},
				{Name: "west", Observation: health.Observation{Verdict: health.VerdictUp}},
			},
		}
	}
	cases := []struct {
		name     string
		change   func(*admin.Status)
		scenario Scenario
		target   string
		failing  string // the name of the one failing check, "" for none
	}{
		{name: "ready", change: func(*admin.Status) {}, scenario: ScenarioFault},
		{name: "not started", change: func(s *admin.Status) { s.State = decide.State{} }, scenario: ScenarioSwitchover, failing: "esdr has chosen an active cluster"}, // and so no active cluster among the configured,
		{name: "paused", change: func(s *admin.Status) { s.State.Paused = true }, scenario: ScenarioSwitchover, failing: "esdr is not paused"},
		{name: "hold-down blocks a fault drill", change: func(s *admin.Status) { s.HoldDownActive = true }, scenario: ScenarioFault, failing: "no hold-down is active"},
		{name: "hold-down does not block a switchover", change: func(s *admin.Status) { s.HoldDownActive = true }, scenario: ScenarioSwitchover},
		{name: "plan running", change: func(s *admin.Status) { s.Plan = &act.Plan{Epoch: 2, Status: act.StatusRunning} }, scenario: ScenarioSwitchover, failing: "no plan is in progress"},
		{name: "fence pending", change: func(s *admin.Status) { s.PendingFences = []string{"west"} }, scenario: ScenarioSwitchover, failing: "no fence is pending"},
		{name: "standby down", change: func(s *admin.Status) { s.Clusters[1].Observation.Verdict = health.VerdictDown }, scenario: ScenarioFault, failing: "a standby is up"},
		{name: "named standby unknown", change: func(*admin.Status) {}, scenario: ScenarioSwitchover, target: "north", failing: "standby north is up"},
		{name: "active down", change: func(s *admin.Status) { s.Clusters[0].Observation.Verdict = health.VerdictDown }, scenario: ScenarioSwitchover, failing: "the active cluster is up"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := healthy()
			c.change(&st)
			checks, chosen := Precheck(st, c.scenario, c.target)
			var failing []string
			for _, ch := range checks {
				if !ch.OK {
					failing = append(failing, ch.Name)
				}
			}
			if c.failing == "" && (len(failing) > 0 || chosen != "west") {
				t.Fatalf("failing %v, chosen %q; want none and west", failing, chosen)
			}
			if c.failing != "" && (len(failing) != 1 || failing[0] != c.failing) {
				t.Fatalf("failing %v, want [%s]", failing, c.failing)
			}
			if Passed(checks) != (c.failing == "") {
				t.Fatalf("Passed = %v", Passed(checks))
			}
		})
	}
}

func TestReportFormats(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var samples []Sample
	for i := range 300 {
		s := Sample{Op: OpSearch, Start: t0.Add(time.Duration(i) * 20 * time.Millisecond), Latency: 3 * time.Millisecond, Status: 200, Cluster: "east"}
		if i >= 150 {
			s.Cluster = "west"
		}
		if i%3 == 2 {
			s.Op, s.DocID = OpIndex, "w0-"+string(rune('a'+i%26))
		}
		if i == 140 || i == 141 {
			s.Status, s.Err, s.Latency = 503, "HTTP 503: <failing closed>", 2*time.Second
		}
		samples = append(samples, s)
	}
	r := &Report{Scenario: ScenarioFault, Endpoint: "http://127.0.0.1:9200", Index: "esdr-drill", Started: t0, Finished: t0.Add(6 * time.Second),
		Checks:   []Check{{Name: "esdr is not paused", OK: true, Detail: "paused=false"}},
		Phases:   []Phase{{Name: "fault", At: t0.Add(2900 * time.Millisecond)}},
		Timeline: []Mark{{At: t0, What: "load started"}, {At: t0.Add(2900 * time.Millisecond), What: `fault <script>alert(1)</script>`}},
		Verified: []Verification{{Cluster: "east", Acked: 50, Missing: []string{"w0-x"}}, {Cluster: "west", Acked: 49}},
		Samples:  samples}
	r.summarize()
	r.tallyLost()
	n := r.Phases[0].Numbers
	if n.Before != "east" || n.After != "west" || n.FailedReads+n.FailedWrites != 2 || n.RTOSeconds <= 0 || r.LostWrites != 1 {
		t.Fatalf("numbers %+v, lost %d", n, r.LostWrites)
	}
	var text, js, html bytes.Buffer
	r.WriteText(&text)
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RTO 0.", "east served until the fault, west answered first after it", "acknowledged writes lost: 1 of 99", "east: 50 acknowledged, 1 missing: [w0-x]", " 2  +2.900s  fault"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{`"rto_seconds": 0.`, `"acked_writes_lost": 1`, `"served_after": "west"`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %q:\n%s", want, js.String())
		}
	}
	h := html.String()
	if !strings.Contains(h, "<svg") || !strings.Contains(h, `class="bad"`) || strings.Contains(h, "<script>") || strings.Contains(h, "http-equiv") {
		t.Errorf("HTML: want an inline SVG with failures and no live script:\n%s", h[:min(len(h), 2000)])
	}
}

// TestPhasesSwitchoverAndBack: each phase sees who served before its own disruption.
func TestPhasesSwitchoverAndBack(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var samples []Sample
	for i := range 300 { // east until 2s, west until 4s, east again
		c := "east"
		if i >= 100 && i < 200 {
			c = "west"
		}
		samples = append(samples, Sample{Op: OpSearch, Start: t0.Add(time.Duration(i) * 20 * time.Millisecond), Latency: time.Millisecond, Status: 200, Cluster: c})
	}
	r := &Report{Started: t0, Samples: samples, Phases: []Phase{{Name: "to west", At: t0.Add(1990 * time.Millisecond)}, {Name: "to east", At: t0.Add(3990 * time.Millisecond)}}}
	r.summarize()
	for i, want := range [][2]string{{"east", "west"}, {"west", "east"}} {
		n := r.Phases[i].Numbers
		if n.Before != want[0] || n.After != want[1] || n.Requests != 150 {
			t.Errorf("phase %d: %+v, want %s → %s over 150 requests", i+1, n, want[0], want[1])
		}
	}
}
