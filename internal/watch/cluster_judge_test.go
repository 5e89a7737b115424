package watch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
)

func nodeErr(kind esclient.ErrKind, err error) error {
	return &esclient.NodeError{Node: "http://n1:9200", Op: "GET /_cluster/health", Kind: kind, Err: err}
}

func view(url, id string, answered bool, master string, canary canaryResult) nodeView {
	return nodeView{URL: url, ID: id, Answered: answered, Master: master, Canary: canary}
}

func TestJudgeControlPlaneDown(t *testing.T) {
	three := members{"a": "n1:9200", "b": "n2:9200", "c": "n3:9200"}
	timeout := nodeErr(esclient.KindTimeout, errors.New("timeout"))
	noMaster := nodeErr(esclient.KindHTTPStatus, &esclient.StatusError{Code: 503, Type: "master_not_discovered_exception"})
	unauthorized := nodeErr(esclient.KindBlind, &esclient.StatusError{Code: 401, Type: "security_exception"})
	for _, tc := range []struct {
		name   string
		global error
		views  []nodeView
		m      members
		want   health.Kind
		detail string
	}{
		{"the master alone hung: two of three answer and serve reads, so the cluster is stalled", timeout,
			[]nodeView{view("http://n1:9200", "a", false, "", canaryNotRun), view("http://n2:9200", "b", true, "a", canaryOK), view("http://n3:9200", "c", true, "a", canaryOK)},
			three, health.KindStalled, "2 of 3 master-eligible nodes answer"},
		{"a re-election in progress (no master known by a majority) is stalled, not down", noMaster,
			[]nodeView{view("http://n1:9200", "a", false, "", canaryNotRun), view("http://n2:9200", "b", true, "", canaryOK), view("http://n3:9200", "c", true, "", canaryOK)},
			three, health.KindStalled, "no elected master known"},
		{"two of three hung: the quorum is lost at once", timeout,
			[]nodeView{view("http://n1:9200", "a", false, "", canaryNotRun), view("http://n2:9200", "b", false, "", canaryNotRun), view("http://n3:9200", "c", true, "a", canaryOK)},
			three, health.KindNoQuorum, "1 of 3 master-eligible nodes answer"},
		{"a node not yet identified is matched by its publish address", timeout,
			[]nodeView{view("http://n1:9200", "", false, "", canaryNotRun), view("http://n2:9200", "", false, "", canaryNotRun), view("http://n3:9200", "c", true, "a", canaryOK)},
			three, health.KindNoQuorum, "1 of 3"},
		{"members unknown: an answering node that knows a master keeps the quorum", timeout,
			[]nodeView{view("http://n1:9200", "", false, "", canaryNotRun), view("http://n2:9200", "", true, "a", canaryOK)},
			nil, health.KindStalled, "master a"},
		{"members unknown: no answering node knows a master, so the quorum is lost", noMaster,
			[]nodeView{view("http://n1:9200", "", true, "", canaryOK)},
			nil, health.KindNoQuorum, "no elected master known"},
		{"a master-eligible node esdr does not probe makes the count unknown", timeout,
			[]nodeView{view("http://n2:9200", "b", true, "a", canaryOK), view("http://n3:9200", "c", true, "a", canaryOK)},
			members{"a": "elsewhere:9200", "b": "n2:9200", "c": "n3:9200"}, health.KindStalled, "master a"},
		{"a majority answers but reads fail everywhere: users are hurt, a failure", timeout,
			[]nodeView{view("http://n1:9200", "a", false, "", canaryNotRun), view("http://n2:9200", "b", true, "a", canaryFailed), view("http://n3:9200", "c", true, "a", canaryFailed)},
			three, health.KindTimeout, "reads fail on every answering node"},
		{"no canary index: a majority answering is enough to wait", timeout,
			[]nodeView{view("http://n1:9200", "a", false, "", canaryNotRun), view("http://n2:9200", "b", true, "a", canaryMissing), view("http://n3:9200", "c", true, "a", canaryMissing)},
			three, health.KindStalled, "no canary index"},
		{"nobody answers: the failure's own kind", timeout,
			[]nodeView{view("http://n1:9200", "a", false, "", canaryNotRun)},
			three, health.KindTimeout, "timeout"},
		{"credentials refused: blind, whatever else", unauthorized,
			[]nodeView{{URL: "http://n1:9200", Err: unauthorized}},
			three, health.KindBlind, "credentials were refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := judgeControlPlaneDown(tc.global, tc.views, tc.m, true)
			if r.Kind != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s containing %q", r.Kind, r.Detail, tc.want, tc.detail)
			}
		})
	}
}

var t0 = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func TestTrackerBlindAndStalled(t *testing.T) {
	tr := NewTracker("p", 3, 3)
	for i := range 3 {
		tr.Record(Result{Kind: health.KindHealthy}, t0.Add(time.Duration(i)*time.Second))
	}
	t.Run("blind results never count as failures and turn the verdict blind", func(t *testing.T) {
		var o health.Observation
		for i := range 3 {
			o, _ = tr.Record(Result{Kind: health.KindBlind}, t0.Add(time.Duration(10+i)*time.Second))
		}
		if o.Verdict != health.VerdictBlind || o.ConsecutiveFailures != 0 {
			t.Errorf("got %s with %d failures", o.Verdict, o.ConsecutiveFailures)
		}
	})
	t.Run("a stall passes and keeps its start until the control plane answers", func(t *testing.T) {
		tr := NewTracker("p", 3, 1)
		tr.Record(Result{Kind: health.KindHealthy}, t0)
		o, _ := tr.Record(Result{Kind: health.KindStalled, StallGrace: 15 * time.Second}, t0.Add(time.Second))
		tr.Record(Result{Kind: health.KindTimeout}, t0.Add(2*time.Second))
		o, _ = tr.Record(Result{Kind: health.KindStalled}, t0.Add(3*time.Second))
		if o.Verdict != health.VerdictUp || !o.StalledSince.Equal(t0.Add(time.Second)) || o.StallGrace != 15*time.Second {
			t.Errorf("got %s since %s grace %s", o.Verdict, o.StalledSince, o.StallGrace)
		}
		o, _ = tr.Record(Result{Kind: health.KindDegraded}, t0.Add(4*time.Second))
		if o.Stalled() {
			t.Errorf("still stalled after the cluster health answered: %+v", o)
		}
	})
}

func TestQuorumStillThere(t *testing.T) {
	three := members{"a": "n1:9200", "b": "n2:9200", "c": "n3:9200"}
	green := Result{Kind: health.KindHealthy, Detail: "status green, 3 nodes"}
	for _, tc := range []struct {
		name  string
		views []nodeView
		m     members
		want  health.Kind
	}{
		{"the master alone answers while both followers hang: no quorum though it says green",
			[]nodeView{view("http://n1:9200", "a", true, "a", canaryOK), view("http://n2:9200", "b", false, "", canaryNotRun), view("http://n3:9200", "c", false, "", canaryNotRun)},
			three, health.KindNoQuorum},
		{"one follower silent: the majority is there",
			[]nodeView{view("http://n1:9200", "a", true, "a", canaryOK), view("http://n2:9200", "b", true, "a", canaryOK), view("http://n3:9200", "c", false, "", canaryNotRun)},
			three, health.KindHealthy},
		{"members not known: the answer stands",
			[]nodeView{view("http://n1:9200", "a", true, "a", canaryOK)}, nil, health.KindHealthy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := quorumStillThere(green, tc.views, tc.m); r.Kind != tc.want {
				t.Errorf("got %s %q, want %s", r.Kind, r.Detail, tc.want)
			}
		})
	}
}

func TestVouch(t *testing.T) {
	var st clusterState
	t.Run("a canary that never served on a node says nothing when it fails", func(t *testing.T) {
		views := []nodeView{view("http://n1:9200", "a", true, "a", canaryFailed)}
		st.vouch(views)
		if views[0].Canary != canaryMissing {
			t.Errorf("got %v", views[0].Canary)
		}
	})
	t.Run("once it served there, a failure is evidence", func(t *testing.T) {
		st.vouch([]nodeView{view("http://n1:9200", "a", true, "a", canaryOK)})
		views := []nodeView{view("http://n1:9200", "a", true, "a", canaryFailed)}
		st.vouch(views)
		if views[0].Canary != canaryFailed {
			t.Errorf("got %v", views[0].Canary)
		}
	})
	t.Run("a canary esdr creates again has served nowhere yet", func(t *testing.T) {
		st.vouch([]nodeView{view("http://n1:9200", "a", true, "a", canaryOK)})
		st.creating(t0)
		views := []nodeView{view("http://n1:9200", "a", true, "a", canaryFailed)}
		st.vouch(views)
		if views[0].Canary != canaryMissing {
			t.Errorf("got %v", views[0].Canary)
		}
	})
}

func TestTrackerStallNeverBringsUp(t *testing.T) {
	t.Run("a cluster coming back through stalled results stays down until it answers", func(t *testing.T) {
		tr := NewTracker("p", 1, 3)
		tr.Record(Result{Kind: health.KindUnreachable}, t0)
		var o health.Observation
		for i := range 5 {
			o, _ = tr.Record(Result{Kind: health.KindStalled}, t0.Add(time.Duration(i+1)*time.Second))
		}
		if o.Verdict != health.VerdictDown {
			t.Errorf("got %s after stalled results", o.Verdict)
		}
		for i := range 3 {
			o, _ = tr.Record(Result{Kind: health.KindHealthy}, t0.Add(time.Duration(10+i)*time.Second))
		}
		if o.Verdict != health.VerdictUp {
			t.Errorf("got %s after healthy results", o.Verdict)
		}
	})
}
