package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// TestReloadOnSIGHUP: a valid change of the failover policy is applied without a
// restart; an invalid file is refused and a changed cluster list reported as needing a
// restart, the running policy kept both times. What is applied is judged by what esdr
// decides: its log lines serve only as the sign that it has handled the signal.
func TestReloadOnSIGHUP(t *testing.T) {
	p := clusters(t, "opensearch2")
	e := startSettled(t, p, defaults())
	orig, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(orig), "auto: true") != 1 {
		t.Fatalf("the generated configuration must say auto: true once:\n%s", orig)
	}
	manual := strings.Replace(string(orig), "auto: true", "auto: false", 1)

	// Automatic failover turned off by a reload: the primary hangs, esdr sees it down and
	// holds, saying why, round after round.
	e.reload(manual, "msg=reloaded")
	if err := p.primary.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.primary.Resume() })
	e.waitVerdict("primary", "down", detectBound)
	held := func(after string) {
		t.Helper()
		e.waitRounds(3, detectBound) // whole rounds under the policy in force now
		st := e.status()
		if st.State.Active != "primary" || st.State.Epoch != 1 || st.LastDecision.Code != decide.CodeAutoFailoverOff {
			t.Fatalf("%s: %s@%d, last decision %s, want primary@1 held by %s",
				after, st.State.Active, st.State.Epoch, st.LastDecision.Code, decide.CodeAutoFailoverOff)
		}
	}
	held("auto: false reloaded")

	e.reload("clusters: [oops", "reload refused: invalid configuration")
	held("an invalid file refused")
	e.reload(strings.Replace(manual, "name: standby", "name: dr", 1), "the cluster list changed; restart esdr")
	held("a changed cluster list refused")

	// Automatic failover back on: esdr acts on what it has seen all along.
	e.reload(string(orig), "msg=reloaded")
	e.waitActive("standby", 2, detectBound)
	if n := countEvents(e.events(), state.EventDecided, decide.CodeActiveDown); n != 1 {
		t.Fatalf("%d failovers decided, want 1", n)
	}
}

// reload writes cfg as esdr's configuration, sends SIGHUP and waits until esdr has
// handled it: until its log says done once more than before.
func (e *esdr) reload(cfg, done string) {
	e.t.Helper()
	before := strings.Count(e.Output(), done)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := e.Signal(syscall.SIGHUP); err != nil {
		e.t.Fatal(err)
	}
	e.eventually("SIGHUP handled: "+done, detectBound, func() bool { return strings.Count(e.Output(), done) > before })
}
