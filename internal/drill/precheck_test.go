package drill

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/audit"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

var at = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// wellStatus is an embedded esdr ready for a drill: primary active at epoch 1, and the
// standby and a second standby "dr" up.
func wellStatus() admin.Status {
	obs := func(name string) health.Observation {
		return health.Observation{Cluster: name, Verdict: health.VerdictUp, Last: health.KindHealthy}
	}
	return admin.Status{
		State: decide.State{Active: "primary", Epoch: 1, ActiveSince: at},
		Clusters: []admin.ClusterStatus{
			{Name: "primary", Role: "primary", Active: true, Observation: obs("primary")},
			{Name: "standby", Role: "standby", Observation: obs("standby")},
			{Name: "dr", Role: "standby", Observation: obs("dr")},
		},
	}
}

// wellFleet is the fleet section of a leader whose three members see every cluster up.
func wellFleet() *admin.FleetStatus {
	f := &admin.FleetStatus{Member: "esdr-a", Vantage: "zone-a", Leading: true, Leader: "esdr-a", EpochAge: "300ms"}
	for _, z := range []string{"a", "b", "c"} {
		f.Members = append(f.Members, admin.FleetMember{Name: "esdr-" + z, Vantage: "zone-" + z, Admin: "http://10.0.0." + z + ":9310"})
		f.Views = append(f.Views, admin.FleetView{Member: "esdr-" + z, Vantage: "zone-" + z, At: at,
			Verdicts: map[string]health.Verdict{"primary": health.VerdictUp, "standby": health.VerdictUp, "dr": health.VerdictUp}})
	}
	return f
}

func inFleet(mod func(f *admin.FleetStatus)) func(*admin.Status) {
	return func(st *admin.Status) {
		st.Fleet = wellFleet()
		mod(st.Fleet)
	}
}

// withMirror turns write mirroring on between primary and standby, replicating with a
// small lag, then applies mod.
func withMirror(mod func(m *admin.MirrorStatus)) func(*admin.Status) {
	return func(st *admin.Status) {
		st.Mirror = &admin.MirrorStatus{Pair: []string{"primary", "standby"}, LagOps: 12, LagSeconds: 0.4,
			Pending: map[string]uint64{"standby": 12}, JournalBytes: 4096, JournalMaxBytes: 1 << 20}
		mod(st.Mirror)
	}
}

func partitioned(f *admin.FleetStatus) {
	f.Views[1].Verdicts["primary"] = health.VerdictDown
	f.Findings = []decide.Finding{{Code: decide.CodePartitionedFromPrimary, Cluster: "primary", Member: "esdr-b", Vantage: "zone-b",
		Message: "esdr-b at zone-b sees active primary down (unreachable) while 2 of 3 fresh vantage points see it up"}}
}

const everyMember = "every member sees primary and standby up"

// TestPrecheckFleetAndMirror covers the preconditions of a fleet and of write mirroring
// (TestPrecheck, in report_test.go, covers the others).
func TestPrecheckFleetAndMirror(t *testing.T) {
	cases := []struct {
		name     string
		scenario Scenario
		target   string
		mod      func(*admin.Status)
		failed   []string          // names of the checks that fail, in order
		detail   map[string]string // check name → part of its detail
		chosen   string
	}{
		{name: "embedded, all well: no fleet checks", chosen: "standby"},

		{name: "fleet, all well", mod: inFleet(func(*admin.FleetStatus) {}), chosen: "standby",
			detail: map[string]string{"the fleet has a leader": "esdr-a leads", everyMember: "3 members: esdr-a, esdr-b, esdr-c"}},
		{name: "fleet, a fault drill with a member partitioned", scenario: ScenarioFault, mod: inFleet(partitioned),
			failed: []string{"no fleet finding is in force", everyMember}, chosen: "standby"},
		{name: "fleet without a leader", mod: inFleet(func(f *admin.FleetStatus) { f.Leading, f.Leader, f.Views = false, "", nil }),
			failed: []string{"the fleet has a leader", "the drill talks to the fleet's leader"}, chosen: "standby",
			detail: map[string]string{"the fleet has a leader": "no member leads"}},
		{name: "fleet, asked a follower", mod: inFleet(func(f *admin.FleetStatus) {
			f.Member, f.Leading, f.Views = "esdr-b", false, nil
		}), failed: []string{"the drill talks to the fleet's leader"}, chosen: "standby",
			detail: map[string]string{"the drill talks to the fleet's leader": "point --addr at http://10.0.0.a:9310"}},
		{name: "fleet, a member partitioned from the primary", mod: inFleet(partitioned),
			failed: []string{"no fleet finding is in force", everyMember}, chosen: "standby",
			detail: map[string]string{"no fleet finding is in force": "partitioned-from-primary: esdr-b at zone-b", everyMember: "esdr-b sees primary down"}},
		{name: "fleet without a quorum of fresh vantage points", mod: inFleet(func(f *admin.FleetStatus) {
			f.Findings = []decide.Finding{{Code: decide.CodeNoQuorum, Message: "only 1 of the required 2 vantage points are fresh; no automatic failover"}}
		}), failed: []string{"no fleet finding is in force"}, chosen: "standby",
			detail: map[string]string{"no fleet finding is in force": "no-quorum: only 1 of the required 2"}},
		{name: "fleet, a member without a view", mod: inFleet(func(f *admin.FleetStatus) { f.Views = f.Views[:2] }),
			failed: []string{everyMember}, chosen: "standby", detail: map[string]string{everyMember: "esdr-c has published no view"}},
		{name: "fleet, a member that cannot reach the target", mod: inFleet(func(f *admin.FleetStatus) {
			f.Views[2].Verdicts["standby"] = health.VerdictDown
			delete(f.Views[0].Verdicts, "standby")
		}), failed: []string{everyMember}, chosen: "standby",
			detail: map[string]string{everyMember: "esdr-a sees standby unknown (no observation); esdr-c sees standby down"}},
		{name: "fleet, --to a standby every member reaches", target: "dr", mod: inFleet(func(f *admin.FleetStatus) {
			f.Views[2].Verdicts["standby"] = health.VerdictDown
		}), chosen: "dr", detail: map[string]string{"every member sees primary and dr up": "3 members"}},
		{name: "mirror replicating with some lag", mod: withMirror(func(*admin.MirrorStatus) {}), chosen: "standby",
			detail: map[string]string{"write mirroring replicates": `lag 12 writes (0.4s), 12 pending for "standby", journal 4096 of 1048576 bytes`}},
		{name: "mirror replication stopped", mod: withMirror(func(m *admin.MirrorStatus) { m.Stopped = "mirror: record 7 refused by standby" }),
			failed: []string{"write mirroring replicates"}, chosen: "standby",
			detail: map[string]string{"write mirroring replicates": "replication stopped: mirror: record 7 refused by standby"}},
		{name: "mirror target fenced", mod: withMirror(func(m *admin.MirrorStatus) { m.Fenced = []string{"standby"} }),
			failed: []string{"write mirroring replicates"}, chosen: "standby",
			detail: map[string]string{"write mirroring replicates": "standby is read-only (fenced when traffic left it)"}},
		{name: "mirror journal full", mod: withMirror(func(m *admin.MirrorStatus) { m.JournalBytes = m.JournalMaxBytes }),
			failed: []string{"write mirroring replicates"}, chosen: "standby",
			detail: map[string]string{"write mirroring replicates": "the journal is full, so writes are refused"}},
		{name: "fleet, no active cluster yet", mod: func(st *admin.Status) {
			st.State = decide.State{}
			st.Fleet = wellFleet()
		}, failed: []string{"esdr has chosen an active cluster"}, chosen: "primary"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := wellStatus()
			if c.mod != nil {
				c.mod(&st)
			}
			scenario := c.scenario
			if scenario == "" {
				scenario = ScenarioSwitchover
			}
			checks, chosen := Precheck(st, scenario, c.target)
			var failed []string
			byName := map[string]Check{}
			for _, ch := range checks {
				byName[ch.Name] = ch
				if !ch.OK {
					failed = append(failed, ch.Name)
				}
			}
			if !slices.Equal(failed, c.failed) {
				t.Errorf("failed checks %q, want %q; all: %+v", failed, c.failed, checks)
			}
			if Passed(checks) != (len(c.failed) == 0) {
				t.Errorf("Passed = %t with failed checks %q", Passed(checks), failed)
			}
			if chosen != c.chosen {
				t.Errorf("chosen %q, want %q", chosen, c.chosen)
			}
			for name, part := range c.detail {
				if ch, ok := byName[name]; !ok || !strings.Contains(ch.Detail, part) {
					t.Errorf("check %q: detail %q, want it to contain %q", name, ch.Detail, part)
				}
			}
			if st.Fleet == nil {
				for _, ch := range checks {
					if strings.Contains(ch.Name, "fleet") || strings.Contains(ch.Name, "member ") {
						t.Errorf("embedded mode has a fleet check %q", ch.Name)
					}
				}
			}
		})
	}
}

// fakeAPI answers with a fixed status and records every command; a drill whose
// preconditions fail must send none.
type fakeAPI struct {
	st admin.Status

	mu          sync.Mutex
	switchovers int
}

func (f *fakeAPI) Status(context.Context) (admin.Status, error) { return f.st, nil }

func (f *fakeAPI) Events(context.Context, uint64, int) ([]state.Event, error) { return nil, nil }

func (f *fakeAPI) Switchover(context.Context, string, bool) (decide.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.switchovers++
	return decide.Decision{}, errors.New("fake: no switchover in this test")
}

// untouchable is a drill over st whose every way of touching something is recorded: the
// fake API's switchovers, cluster clients, and the requests reaching the endpoint. Its
// audit finds nothing. touched fails the test if the drill did more than the
// precondition's GET / of the endpoint.
func untouchable(t *testing.T, st admin.Status) (d *Drill, touched func()) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("X-Esdr-Cluster", "primary")
	}))
	t.Cleanup(endpoint.Close)
	api := &fakeAPI{st: st}
	esCalls := 0
	d = &Drill{Scenario: ScenarioSwitchover, API: api, Endpoint: endpoint.URL, Index: "esdr-drill", Workers: 1,
		Every: time.Millisecond, Timeout: time.Second,
		ES: func([]string) (*esclient.Client, error) { esCalls++; return nil, errors.New("fake: no cluster") },
		Audit: func(context.Context, admin.ClusterStatus, admin.ClusterStatus) (*audit.Report, error) {
			return &audit.Report{Reached: true}, nil
		}}
	return d, func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if api.switchovers != 0 || esCalls != 0 || !slices.Equal(seen, []string{"GET /"}) {
			t.Errorf("a refused drill touched something: %d switchovers, %d cluster clients, endpoint saw %q",
				api.switchovers, esCalls, seen)
		}
	}
}

// TestDrillStopsOnFleetPreconditions runs a whole drill against a leader reporting a
// member partitioned from the primary: it stops before preparing an index, sending load
// or asking for a switchover, and its report says why.
func TestDrillStopsOnFleetPreconditions(t *testing.T) {
	st := wellStatus()
	inFleet(partitioned)(&st)
	d, touched := untouchable(t, st)
	rep, err := d.Run(t.Context())
	if !errors.Is(err, ErrPreconditions) {
		t.Fatalf("Run = %v, want ErrPreconditions", err)
	}
	var failed []string
	for _, c := range rep.Checks {
		if !c.OK {
			failed = append(failed, c.Name)
		}
	}
	if want := []string{"no fleet finding is in force", everyMember}; !slices.Equal(failed, want) {
		t.Errorf("failed checks %q, want %q", failed, want)
	}
	if len(rep.Samples) != 0 {
		t.Errorf("a refused drill sent load: %d samples", len(rep.Samples))
	}
	touched()
}
