package metrics_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/daemon"
	"github.com/esdr/esdr/internal/metrics"
	"github.com/esdr/esdr/internal/route/proxy"
	"github.com/esdr/esdr/internal/state"
)

// The alert rules and the Grafana dashboard in deploy/ are written against esdr's metric
// names. These tests keep them honest: promtool checks and unit-tests the rules, and every
// esdr_* name and label a rule or a panel uses must be one esdr registers.

// dashboardFiles are esdr's overview and the clusters' dashboard.
var dashboardFiles = []string{"../../deploy/grafana/esdr.json", "../../deploy/grafana/clusters.json"}

// ruleFiles are esdr's own rules and the clusters' (written against the exporter, with
// esdr's per-node and master series), each with its promtool unit tests beside it.
var ruleFiles = map[string]string{
	"../../deploy/prometheus/esdr-rules.yml":    "../../deploy/prometheus/esdr-rules_test.yml",
	"../../deploy/prometheus/cluster-rules.yml": "../../deploy/prometheus/cluster-rules_test.yml",
}

// family is a metric family esdr registers: its variable labels, and whether it is a
// histogram (whose series are name_bucket, name_sum, name_count).
type family struct {
	labels    map[string]bool
	histogram bool
}

// recorder is a Registerer that remembers what was registered on it, so that vectors
// without a series yet still count (a gather would miss them).
type recorder struct {
	*prometheus.Registry
	families map[string]family
}

var descRE = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

func (r *recorder) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	_, hist := c.(*prometheus.HistogramVec)
	if _, ok := c.(prometheus.Histogram); ok {
		hist = true
	}
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		m := descRE.FindStringSubmatch(d.String())
		if m == nil {
			continue
		}
		f := family{labels: map[string]bool{}, histogram: hist}
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				f.labels[l] = true
			}
		}
		r.families[m[1]] = f
	}
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// registered builds esdr's collectors the way `esdr run` does (internal/daemon/daemon.go).
func registered(t *testing.T) map[string]family {
	t.Helper()
	rec := &recorder{Registry: prometheus.NewRegistry(), families: map[string]family{}}
	rec.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics.New(rec)
	if _, err := proxy.NewMetrics(rec); err != nil {
		t.Fatal(err)
	}
	st, err := state.OpenFile(filepath.Join(t.TempDir(), "state.db"), state.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := act.New(st, act.Options{Registerer: rec}); err != nil {
		t.Fatal(err)
	}
	if err := daemon.RegisterOwnMetrics(rec); err != nil {
		t.Fatal(err)
	}
	registerFleet(t, rec)
	registerMirror(t, rec)
	registerSnapshot(t, rec)
	if len(rec.families) < 20 {
		t.Fatalf("recorded only %d metric families: %v", len(rec.families), rec.families)
	}
	return rec.families
}

// exprs returns every PromQL expression of the rules file and the dashboard, named by
// where it comes from.
func exprs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for rulesFile := range ruleFiles {
		raw, err := os.ReadFile(rulesFile)
		if err != nil {
			t.Fatal(err)
		}
		var rules struct {
			Groups []struct {
				Rules []struct {
					Alert, Record, Expr string
				}
			}
		}
		if err := yaml.Unmarshal(raw, &rules); err != nil {
			t.Fatalf("%s: %v", rulesFile, err)
		}
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				out["rule "+r.Alert+r.Record] = r.Expr
			}
		}
	}
	for _, dashboardFile := range dashboardFiles {
		raw, err := os.ReadFile(dashboardFile)
		if err != nil {
			t.Fatal(err)
		}
		var dash struct {
			Panels []struct {
				Title   string
				Targets []struct{ Expr string }
			}
			Annotations struct{ List []struct{ Name, Expr string } }
		}
		if err := json.Unmarshal(raw, &dash); err != nil {
			t.Fatalf("%s: %v", dashboardFile, err)
		}
		for _, p := range dash.Panels {
			for i, tg := range p.Targets {
				out[fmt.Sprintf("%s panel %q target %d", filepath.Base(dashboardFile), p.Title, i)] = tg.Expr
			}
		}
		for _, a := range dash.Annotations.List {
			out["annotation "+a.Name] = a.Expr
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d expressions", len(out))
	}
	return out
}

// selectorRE finds an esdr metric name and its optional {matchers}.
var (
	selectorRE = regexp.MustCompile(`\b(esdr_[a-z0-9_]+)\b(\{[^}]*\})?`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
)

// lookup resolves a series name to its family: a histogram's _bucket, _sum and _count
// belong to it, nothing else does.
func lookup(fams map[string]family, name string) (family, bool) {
	if f, ok := fams[name]; ok && !f.histogram {
		return f, true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if f, ok := fams[strings.TrimSuffix(name, suf)]; ok && f.histogram && strings.HasSuffix(name, suf) {
			if suf == "_bucket" {
				f.labels = map[string]bool{"le": true}
				for l := range fams[strings.TrimSuffix(name, suf)].labels {
					f.labels[l] = true
				}
			}
			return f, true
		}
	}
	return family{}, false
}

func TestDeployUsesRealMetricNames(t *testing.T) {
	fams := registered(t)
	used := map[string]bool{}
	for where, e := range exprs(t) {
		for _, m := range selectorRE.FindAllStringSubmatch(e, -1) {
			f, ok := lookup(fams, m[1])
			if !ok {
				t.Errorf("%s uses %s, which esdr does not export", where, m[1])
				continue
			}
			used[m[1]] = true
			for _, lm := range matcherRE.FindAllStringSubmatch(m[2], -1) {
				if l := lm[1]; l != "instance" && l != "job" && !f.labels[l] {
					t.Errorf("%s matches label %q on %s, which has labels %v", where, l, m[1], keys(f.labels))
				}
			}
		}
	}
	t.Logf("deploy/ uses %d esdr series names", len(used))
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPromtool runs promtool on the rules: syntax and the unit tests of every alert.
func TestPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("needs promtool (Debian prometheus)")
	}
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is missing: run scripts/install.sh (it installs Debian prometheus, which provides it)")
	}
	for rules, tests := range ruleFiles {
		for _, args := range [][]string{{"check", "rules", rules}, {"test", "rules", tests}} {
			out, err := exec.CommandContext(t.Context(), bin, args...).CombinedOutput()
			if err != nil {
				t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	}
}
