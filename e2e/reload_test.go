package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadOnSIGHUP: a valid change of the failover policy is applied without a restart;
// an invalid file is refused and the running configuration kept; a changed cluster list
// is reported as needing a restart.
func TestReloadOnSIGHUP(t *testing.T) {
	p := clusters(t, "opensearch2")
	e := startEsdr(t, p, defaults())
	e.waitActive("primary", 1, detectBound)
	orig, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	hup := func(cfg, wantLog string) {
		t.Helper()
		if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		e.eventually("log: "+wantLog, 10*time.Second, func() bool { return strings.Contains(e.out.String(), wantLog) })
	}
	hup(strings.Replace(string(orig), "hold_down: 1h", "hold_down: 7m", 1), "msg=reloaded")
	if !strings.Contains(e.out.String(), "hold_down=7m0s") {
		t.Fatalf("reload did not apply the new hold-down:\n%s", tail(e.out.String(), 10))
	}
	hup("clusters: [oops", "reload refused: invalid configuration")
	hup(strings.Replace(string(orig), "name: standby", "name: dr", 1), "the cluster list changed; restart esdr")
	if e.Exited() {
		t.Fatal("esdr exited on SIGHUP")
	}
	if st := e.status(); st.State.Active != "primary" || st.State.Epoch != 1 {
		t.Fatalf("reloads changed the state: %s@%d", st.State.Active, st.State.Epoch)
	}
}
