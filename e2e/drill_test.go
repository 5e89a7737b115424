package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/drill"
)

// TestDrill runs `esdr drill` on the test bed: refused preconditions (esdr paused; an
// audit error not accepted) touch nothing; a planned switchover and back, then a hang of
// the primary, each under load through the proxy, report RTO and no lost acknowledged
// write, in JSON and HTML.
func TestDrill(t *testing.T) {
	p := clusters(t, "opensearch2")
	dropUserIndices(t, p)
	s := defaults()
	s.proxy = true
	e := startSettled(t, p, s)

	t.Run("preconditions fail: nothing touched", func(t *testing.T) {
		if out, code := e.cli("pause"); code != 0 {
			t.Fatalf("pause: %s", out)
		}
		defer e.cli("resume")
		rep, out, code := e.drill(t, "--index", "esdr-drill-untouched")
		if code != 1 || !strings.Contains(out, "preconditions failed; nothing was touched") || !strings.Contains(out, "esdr is not paused") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if len(rep.Phases) != 0 || indexExists(t, p.primary.URLs()[0], "esdr-drill-untouched") || indexExists(t, p.standby.URLs()[0], "esdr-drill-untouched") {
			t.Fatalf("a failed drill touched something: %+v", rep)
		}
		if st := e.status(); st.State.Epoch != 1 {
			t.Fatalf("epoch %d after a refused drill", st.State.Epoch)
		}
	})

	t.Run("audit error not accepted: nothing touched", func(t *testing.T) {
		mark := filepath.Join(t.TempDir(), "fault-ran")
		rep, out, code := e.drillUnaccepted(t, "--scenario", "fault", "--index", "esdr-drill-unaudited",
			"--fault-cmd", "touch "+mark, "--recover-cmd", "touch "+mark)
		if code != 1 || !strings.Contains(out, "preconditions failed; nothing was touched") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if failed := failedChecks(rep); len(failed) != 1 || failed[0] != "esdr audit finds no error" {
			t.Fatalf("failed checks %q, want only the audit's:\n%s", failed, out)
		}
		refusal, _, _ := strings.Cut(out, "{\n")
		t.Logf("the refusal, as an operator reads it:\n%s", refusal)
		for _, want := range []string{"live-masters-too-few on standby: fewer than three master-eligible nodes in the cluster",
			"--accept-finding live-masters-too-few"} {
			if !strings.Contains(out, want) {
				t.Errorf("the refusal does not say %q:\n%s", want, out)
			}
		}
		if _, err := os.Stat(mark); !os.IsNotExist(err) {
			t.Errorf("the fault or recover command ran (%v)", err)
		}
		if len(rep.Phases) != 0 || indexExists(t, p.primary.URLs()[0], "esdr-drill-unaudited") || indexExists(t, p.standby.URLs()[0], "esdr-drill-unaudited") {
			t.Fatalf("a refused drill touched something: %+v", rep)
		}
		if st := e.status(); st.State.Epoch != 1 || st.State.Active != "primary" {
			t.Fatalf("%s active at epoch %d after a refused drill", st.State.Active, st.State.Epoch)
		}
	})

	t.Run("switchover and back", func(t *testing.T) {
		html := filepath.Join(t.ArtifactDir(), "drill-switchover.html")
		rep, out, code := e.drill(t, "--scenario", "switchover", "--html", html)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		logDrill(t, rep)
		if len(rep.Phases) != 2 || rep.Lost != 0 || len(rep.Acked) == 0 {
			t.Fatalf("report: %+v", rep)
		}
		if len(rep.Accepted) != 1 || rep.Accepted[0].Code != oneNodeStandby || rep.Accepted[0].Subject != "standby" {
			t.Errorf("accepted findings %+v, want the standby's %s alone", rep.Accepted, oneNodeStandby)
		}
		for i, want := range [][2]string{{"primary", "standby"}, {"standby", "primary"}} {
			n := rep.Phases[i].Numbers
			if n == nil || n.Before != want[0] || n.After != want[1] || n.RTOSeconds <= 0 || n.FailedReads != 0 {
				t.Errorf("phase %d: %+v, want %s → %s, no failed read", i+1, n, want[0], want[1])
			}
		}
		page, err := os.ReadFile(html)
		if err != nil || !strings.Contains(string(page), "<svg") || strings.Contains(string(page), "<script") {
			t.Fatalf("HTML report (%v): want an inline SVG and no script", err)
		}
		t.Logf("HTML report: %s", html)
		e.waitActive("primary", 3, detectBound)
	})

	t.Run("fault: primary hangs", func(t *testing.T) {
		var pids []string
		for _, n := range p.primary.Nodes {
			pids = append(pids, strconv.Itoa(n.PID()))
		}
		t.Cleanup(func() { _ = p.primary.Resume() })
		pidList := strings.Join(pids, " ")
		// A new index: the standby, fenced by the switchover back, cannot create it
		// beforehand; the drill goes on, and the first write after the failover does.
		rep, out, code := e.drill(t, "--scenario", "fault", "--index", "esdr-drill-fenced",
			"--fault-cmd", "kill -STOP "+pidList, "--recover-cmd", "kill -CONT "+pidList)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if !strings.Contains(out, "index esdr-drill-fenced not created on standby beforehand: it is read-only (fenced)") {
			t.Errorf("the drill does not say it skipped the fenced standby:\n%s", out)
		}
		logDrill(t, rep)
		if len(rep.Phases) != 1 || rep.Lost != 0 {
			t.Fatalf("report: %+v", rep)
		}
		if n := rep.Phases[0].Numbers; n == nil || n.Before != "primary" || n.After != "standby" || n.RTOSeconds <= 0 {
			t.Fatalf("phase: %+v", n)
		}
		for _, v := range rep.Acked {
			if v.Err != "" || len(v.Missing) > 0 {
				t.Errorf("acknowledged by %s: %+v", v.Cluster, v)
			}
		}
	})
}

// TestDrillAgreesWithAnIndependentClient runs `esdr drill` on a hang of the primary while
// another client, paced like the failover benchmark's (one read per 10 ms), reads through
// the same proxy. The drill's RTO must be one that client's samples of the same fault
// allow: after the fault, and no later than the other client's first answer from the
// standby plus the time for one of the drill's requests to start (its pace) and be
// answered (its median latency), plus the proxy's write grace when the drill had writes
// cut at the failover. A consistency check of two measurements of one event,
// not a performance number.
func TestDrillAgreesWithAnIndependentClient(t *testing.T) {
	p := clusters(t, "opensearch2")
	dropUserIndices(t, p)
	s := defaults()
	s.proxy = true
	e := startSettled(t, p, s)
	prepare(t, p)

	var pids []string
	for _, n := range p.primary.Nodes {
		pids = append(pids, strconv.Itoa(n.PID()))
	}
	t.Cleanup(func() { _ = p.primary.Resume() })
	pidList := strings.Join(pids, " ")
	const every = 10 * time.Millisecond
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	observed := make(chan []drill.Sample, 1)
	go func() {
		observed <- drill.Load{URL: e.proxyURL, Index: drillIndex, Workers: 1, Every: every, Timeout: 10 * time.Second}.Run(ctx)
	}()
	rep, out, code := e.drill(t, "--scenario", "fault", "--index", "esdr-drill-agree", "--every", every.String(),
		"--fault-cmd", "kill -STOP "+pidList, "--recover-cmd", "kill -CONT "+pidList)
	stop()
	samples := <-observed
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	logDrill(t, rep)
	if len(rep.Phases) != 1 || rep.Phases[0].Numbers == nil {
		t.Fatalf("report: %+v", rep)
	}
	n := rep.Phases[0].Numbers
	obs := drill.Summarize(samples, rep.Phases[0].At)
	drillRTO := time.Duration(n.RTOSeconds * float64(time.Second))
	slack := every + time.Duration(n.P50Millis*float64(time.Millisecond))
	if n.FailedWrites > 0 {
		// A write in flight at the epoch change is held up to the proxy's write grace (1s)
		// before it is cut; when every drill worker had one, its first answer from the
		// standby comes that much later than a read-only client's.
		slack += time.Second
	}
	t.Logf("drill RTO %s; independent client RTO %s (%s → %s, %d failed reads of %d), slack %s",
		drillRTO, obs.RTO, obs.Before, obs.After, obs.FailedReads, obs.Reads, slack)
	if obs.RTO <= 0 || obs.Before != "primary" || obs.After != "standby" {
		t.Fatalf("the independent client saw no failover from primary to standby: %+v", obs)
	}
	if drillRTO <= 0 || drillRTO > obs.RTO+slack {
		t.Errorf("drill RTO %s outside (0, %s]: the independent client's %s plus %s", drillRTO, obs.RTO+slack, obs.RTO, slack)
	}
}
