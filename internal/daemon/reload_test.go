package daemon

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestReloadAppliesPolicyAndPairsEachOnItsOwn: one SIGHUP reloads the admin listener's
// pair and the configuration, and neither refusal holds the other back. A pair caught
// mid-rotation (its key not yet written) is refused while the new policy is applied; a
// valid new pair is taken while an invalid file is refused. Each refusal is counted by
// its own metric.
func TestReloadAppliesPolicyAndPairsEachOnItsOwn(t *testing.T) {
	dir := t.TempDir()
	replace(t, filepath.Join(dir, "listener.crt"), fixture(t, "listener.crt"))
	replace(t, filepath.Join(dir, "listener.key"), fixture(t, "listener.key"))
	primary, standby := fakeCluster(t, "primary"), fakeCluster(t, "standby")
	conf := `clusters:
  - {name: primary, nodes: [` + primary.URL + `]}
  - {name: standby, nodes: [` + standby.URL + `]}
health: {interval: 200ms, timeout: 200ms, checks: [{kind: http, path: /}]}
failover: {auto: true}
admin:
  listen: 127.0.0.1:0
  token: ` + testToken + `
  tls: {cert_file: listener.crt, key_file: listener.key}
state: {path: state.db}
`
	d, _ := runDaemon(t, conf, dir)
	path := filepath.Join(dir, "esdr.yaml")
	level := new(slog.LevelVar)
	reload := func(yaml string) {
		t.Helper()
		replace(t, path, []byte(yaml))
		d.reload(path, level)
	}
	auto := func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.policy.AutoFailover
	}
	presented := func() string { return d.tls.list[0].kp.Certificate().Leaf.Subject.CommonName }
	tlsRefused := func() float64 { return testutil.ToFloat64(d.tls.refused.WithLabelValues("admin")) }
	cfgRefused := func() float64 { return testutil.ToFloat64(d.reloadRefused) }

	// The new certificate is in place, its key not yet: the pair is refused, the policy
	// (automatic failover off) applied.
	replace(t, filepath.Join(dir, "listener.crt"), fixture(t, "listener2.crt"))
	reload(strings.Replace(conf, "auto: true", "auto: false", 1))
	if auto() {
		t.Fatal("the policy was not applied because the listener's pair was refused")
	}
	if tlsRefused() != 1 || cfgRefused() != 0 {
		t.Fatalf("refusals counted: tls %v, config %v; want 1 and 0", tlsRefused(), cfgRefused())
	}
	if cn := presented(); cn == "esdr-listener-fixture-2" {
		t.Fatal("a certificate whose key does not match was put in use")
	}

	// The key arrives with a file that is not valid: the pair is taken, the policy kept.
	replace(t, filepath.Join(dir, "listener.key"), fixture(t, "listener2.key"))
	reload("clusters: [oops")
	if cn := presented(); cn != "esdr-listener-fixture-2" {
		t.Fatalf("the listener presents %q after an invalid configuration, want the new pair esdr-listener-fixture-2", cn)
	}
	if auto() {
		t.Fatal("the policy changed on an invalid file")
	}
	if tlsRefused() != 1 || cfgRefused() != 1 {
		t.Fatalf("refusals counted: tls %v, config %v; want 1 and 1", tlsRefused(), cfgRefused())
	}

	// Metric names as Prometheus wants them.
	if probs, err := testutil.CollectAndLint(d.reloadRefused); err != nil || len(probs) > 0 {
		t.Fatalf("promlint: %v %v", probs, err)
	}
}
