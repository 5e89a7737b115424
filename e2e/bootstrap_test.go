package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/peers"
)

// TestBootstrapAfterLostState: after a failover (primary killed, standby active, the
// primary restarted and fenced), esdr loses its state file. Started again without being
// told, it must not route to the fenced primary at epoch 1: it refuses, naming the fence
// and the etcd key that points at the standby. Told with --bootstrap-active standby, it
// starts with the standby active, above the epoch the key remembers, and the proxy
// routes there.
func TestBootstrapAfterLostState(t *testing.T) {
	p := clusters(t, "opensearch2")
	s := defaults()
	s.proxy = true
	s.extra = fmt.Sprintf("targets:\n  etcd:\n    - endpoints: [%s]\n      key: /esdr/active\n", peers.Etcd(t))
	e := startSettled(t, p, s)

	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	e.waitActive("standby", 2, detectBound)
	e.eventually("the failover plan done", detectBound, func() bool {
		st := e.status()
		return st.Plan != nil && st.Plan.Epoch == 2 && st.Plan.Status == act.StatusDone
	})
	restartCluster(t, p.primary)
	e.eventually("the old primary fenced", recoverBound, func() bool {
		set, err := esOf(t, p.primary).ClusterSettings(context.Background())
		return err == nil && fmt.Sprint(set["cluster.blocks.read_only"]) == "true"
	})
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(e.Dir, "state.db")); err != nil {
		t.Fatal(err)
	}

	// Not told: refused, with what it saw and the flag that states the truth.
	out := e.refusedStart()
	for _, want := range []string{"refusing to start on the preferred cluster primary",
		"preferred cluster primary is read-only (cluster.blocks.read_only is set",
		"target etcd:/esdr/active points at standby, not at the preferred cluster primary (epoch 2)",
		"esdr run -c FILE --bootstrap-active CLUSTER (one of primary, standby)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, out)
		}
	}

	// Told: the standby active, above the key's epoch, and the proxy routes there.
	e.Args = []string{"--bootstrap-active", "standby"}
	e.StartT(t)
	e.waitActive("standby", 3, detectBound)
	if n := countEvents(e.events(), state.EventCommand, decide.CodeBootstrap); n != 1 {
		t.Fatalf("%d bootstrap events, want 1: %+v", n, e.events())
	}
	e.eventually("the proxy routes to the standby", detectBound, func() bool {
		return proxiedCluster(t, e.proxyURL) == p.standby.Name
	})
}

// TestBootstrapFleetMember: the same look guards a fleet member finding its etcd
// prefix empty. The primary carries a write block (as esdr's fence leaves it): refused;
// told, the member leads and stores the standby as active, and its proxy routes there.
func TestBootstrapFleetMember(t *testing.T) {
	p := clusters(t, "opensearch2")
	if err := esOf(t, p.primary).PutClusterSettings(context.Background(), map[string]any{"cluster.blocks.read_only": true}); err != nil {
		t.Fatal(err)
	}
	s := defaults()
	s.proxy = true
	s.extra = fmt.Sprintf("fleet:\n  name: esdr-a\n  etcd:\n    endpoints: [%s]\n    prefix: /esdr/bootstrap/\n  session_ttl: 3s\n", peers.Etcd(t))
	e := newEsdr(t, p, s)
	out := e.refusedStart()
	for _, want := range []string{"or an empty etcd prefix", "preferred cluster primary is read-only", "--bootstrap-active CLUSTER (one of primary, standby)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, out)
		}
	}
	e.Args = []string{"--bootstrap-active", "standby"}
	e.StartT(t)
	e.waitActive("standby", 1, detectBound)
	e.eventually("the proxy routes to the standby", detectBound, func() bool {
		return proxiedCluster(t, e.proxyURL) == p.standby.Name
	})
}

// refusedStart runs `esdr run` on e's configuration and returns its output, failing
// the test unless it exits non-zero on its own.
func (e *esdr) refusedStart() string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, e.Bin, "run", "-c", e.Config).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() <= 0 || ctx.Err() != nil {
		e.t.Fatalf("esdr run with no state: %v, want it to refuse with a non-zero exit\n%s", err, out)
	}
	return string(out)
}

// proxiedCluster is the cluster_name the cluster behind the proxy answers with; "" on error.
func proxiedCluster(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var doc struct {
		ClusterName string `json:"cluster_name"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&doc) != nil {
		return ""
	}
	return doc.ClusterName
}
