package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

func loadFull(t *testing.T) *Config {
	t.Helper()
	t.Setenv("ES_PASSWORD", "changeme")
	t.Setenv("ESDR_ADMIN_TOKEN", "0123456789abcdef")
	c, err := Load("testdata/good/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadFull(t *testing.T) {
	c := loadFull(t)
	dir, _ := filepath.Abs("testdata/good")
	if c.State.Path != filepath.Join(dir, "state/esdr.db") {
		t.Errorf("state.path = %q, want it relative to the config file's directory", c.State.Path)
	}
	if c.Clusters[0].TLS.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("ca_file = %q, want it resolved", c.Clusters[0].TLS.CAFile)
	}
	if c.Health.FailureThreshold != 4 || c.Health.Timeout != 2*time.Second {
		t.Errorf("health = %+v, want failure threshold 4 from the default and timeout 2s derived", c.Health)
	}
	want := decide.Policy{
		Clusters: []string{"primary", "standby-1"}, AutoFailover: false,
		HoldDown: 0, Failback: decide.FailbackAuto, FailbackAfter: 2 * time.Minute,
	}
	if got := c.Policy(); !reflect.DeepEqual(got, want) {
		t.Errorf("Policy() = %+v, want %+v", got, want)
	}
}

func TestDefaults(t *testing.T) {
	doc := "clusters: [{name: a, nodes: [http://h1:9200]}, {name: b, nodes: [http://h2:9200]}]\nadmin: {token: 0123456789abcdef}\n"
	c, err := Parse([]byte(doc), "/etc/esdr", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultHealth()
	want.Timeout, want.timeoutDerived = time.Second, true
	if !reflect.DeepEqual(c.Health, want) {
		t.Errorf("health = %+v, want %+v", c.Health, want)
	}
	if p := c.Policy(); !p.AutoFailover || p.HoldDown != 10*time.Minute || p.Failback != decide.FailbackManual {
		t.Errorf("policy = %+v, want the documented defaults", p)
	}
	if c.State.Path != "/etc/esdr/esdr-state.db" || c.Admin.Listen != "127.0.0.1:9310" || !c.Metrics.Enabled || c.Proxy.Listen != "" {
		t.Errorf("defaults: state %q admin %q metrics %v proxy %q", c.State.Path, c.Admin.Listen, c.Metrics.Enabled, c.Proxy.Listen)
	}
	if c.Log.SlogLevel().String() != "INFO" || c.Health.DetectionTime() != 3*time.Second {
		t.Errorf("log level %v, detection %v", c.Log.SlogLevel(), c.Health.DetectionTime())
	}
}

func TestClusterHealth(t *testing.T) {
	c := loadFull(t)
	top := c.ClusterHealth("primary")
	if top.Interval != 2*time.Second || top.Checks[0].MinNodes != 3 {
		t.Errorf("primary: %+v, want the top-level block", top)
	}
	sb := c.ClusterHealth("standby-1")
	if sb.Interval != 500*time.Millisecond || sb.Timeout != 500*time.Millisecond {
		t.Errorf("standby: interval %v timeout %v, want 500ms and a timeout derived from it", sb.Interval, sb.Timeout)
	}
	if sb.Checks[0].MinNodes != 1 || sb.Checks[0].MinDataNodes != 2 || sb.FailureThreshold != 4 {
		t.Errorf("standby: %+v, want min_nodes overridden, the rest inherited", sb)
	}
	sb.Checks[0].Accept[0] = "changed"
	if c.Health.Checks[0].Accept[0] != "green" {
		t.Error("ClusterHealth shares memory with the config")
	}
	if got := c.ClusterHealth("nope"); got.Interval != c.Health.Interval {
		t.Errorf("unknown cluster: %+v, want the top-level block", got)
	}
}

// TestOverrideTimeoutAgainstInterval: an explicit top-level timeout is checked against
// a cluster's shorter interval, at the cluster's key.
func TestOverrideTimeoutAgainstInterval(t *testing.T) {
	doc := `
clusters:
  - { name: a, nodes: [http://h1:9200], health: { interval: 500ms } }
  - { name: b, nodes: [http://h2:9200] }
health: { interval: 2s, timeout: 1s }
admin: { token: 0123456789abcdef }
`
	_, err := Parse([]byte(doc), "", nil)
	want := "clusters[0].health.interval: 500ms is shorter than health.timeout (1s), want at least the timeout, or set a timeout here too"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
	_, err := Load("testdata/bad/one_cluster.yaml")
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || !strings.HasPrefix(err.Error(), "config: testdata/bad/one_cluster.yaml has 1 problem:\nclusters: ") {
		t.Errorf("Load error = %q, want a wrapped Problems", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte("#"+strings.Repeat("x", MaxFileSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "want at most 1048576") {
		t.Errorf("oversized file: %v", err)
	}
}

func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Clusters = []ClusterConfig{{Name: "a", Nodes: []string{"http://h1:9200"}}, {Name: "b", Nodes: []string{"http://h2:9200"}}}
	c.Admin.Token = "0123456789abcdef"
	c.Health.Timeout = time.Second
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Failover.Failback = "never"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "failover.failback") {
		t.Fatalf("Validate = %v", err)
	}
}

// TestBounds: hostile sizes are refused quickly, and a flood of problems is cut short.
func TestBounds(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"lines":     {strings.Repeat("k: v\n", maxLines+1), "(file): 10002 lines, want at most 10000"},
		"nesting":   {"x: " + strings.Repeat("[", 65), "(file): nested 65 levels deep, want at most 64"},
		"documents": {"log: {level: info}\n---\nlog: {level: info}\n", "(file): 2 YAML documents, want one"},
	} {
		_, err := Parse([]byte(tc.data), "", nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %s", name, err, tc.want)
		}
	}
	var many strings.Builder
	for i := range 150 {
		fmt.Fprintf(&many, "k%d: v\n", i)
	}
	_, err := Parse([]byte(many.String()), "", nil)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != maxProblems+1 || ps[maxProblems].String() != "(file): 52 more problems not listed, want the ones above fixed first" {
		t.Errorf("problems not capped: %d, last %v", len(ps), ps[len(ps)-1])
	}
}

// TestFleetDefaults: a fleet block that names only the essentials gets a vantage, a
// session TTL, a proxy staleness bound and a view age derived from the health interval.
func TestFleetDefaults(t *testing.T) {
	t.Setenv("ESDR_ADMIN_TOKEN", "0123456789abcdef")
	c, err := Load("testdata/good/fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := c.Fleet
	if f == nil || f.Vantage != "zone-a" || f.SessionTTL != DefaultSessionTTL || f.StaleAfter != DefaultStaleAfter || f.Quorum != 2 {
		t.Fatalf("fleet = %+v", f)
	}
	if want := 3 * (c.Health.Interval + c.Health.Timeout); f.ViewMaxAge != max(want, 3*time.Second) {
		t.Errorf("view_max_age = %s, want %s", f.ViewMaxAge, want)
	}
	if !filepath.IsAbs(f.Etcd.CAFile) {
		t.Errorf("ca_file %q not made relative to the config file", f.Etcd.CAFile)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings for a sound fleet: %q", c.Warnings)
	}
	if c.Redacted().Fleet == c.Fleet {
		t.Error("Redacted shares the fleet block")
	}
}

// TestLoopbackListen: proxy.forward_credentials is allowed only where the listener binds
// loopback alone.
func TestLoopbackListen(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9200": true, "127.0.0.2:9200": true, "[::1]:9200": true, "localhost:9200": true, "LocalHost:0": true,
		":9200": false, "0.0.0.0:9200": false, "[::]:9200": false, "10.0.0.5:9200": false, "esdr.example.com:9200": false,
	} {
		if got := loopbackListen(addr); got != want {
			t.Errorf("loopbackListen(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestForwardAuth: the proxy forwards proxy_auth when set, else auth; Redacted hides both.
func TestForwardAuth(t *testing.T) {
	c, err := Parse(mustRead(t, "testdata/good/proxy_forward.yaml"), "testdata/good", testEnv(map[string]string{
		"ES_PASSWORD": "changeme", "ESDR_ADMIN_TOKEN": "0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Clusters[0].ForwardAuth(); a.Username != "app" {
		t.Errorf("primary forwards %q, want proxy_auth's app", a.Username)
	}
	if a := c.Clusters[1].ForwardAuth(); a.Username != "esdr" {
		t.Errorf("standby forwards %q, want auth's esdr", a.Username)
	}
	r := c.Redacted()
	if r.Clusters[0].ProxyAuth.Password.Reveal() != redacted || c.Clusters[0].ProxyAuth.Password.Reveal() != "changeme" {
		t.Errorf("Redacted proxy_auth: %q, original %q", r.Clusters[0].ProxyAuth.Password.Reveal(), c.Clusters[0].ProxyAuth.Password.Reveal())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
