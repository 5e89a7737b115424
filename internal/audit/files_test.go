package audit

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func codes(fs []Finding) []Code {
	out := make([]Code, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Code)
	}
	slices.Sort(out)
	return out
}

// TestFileFixtures runs the file rules over each folder of testdata/files (the files of
// one cluster) and compares the exact set of codes found.
func TestFileFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		env  map[string]string
		want []Code
	}{
		// The seed's snippet, on the node it was written for.
		{"seed", map[string]string{"HOSTNAME": "es-node-1.example.com"},
			[]Code{InitialMastersSet, NetworkHostAllInterfaces, RolesCombined}},
		// The same snippet where HOSTNAME is not exported: the engine would not start.
		{"seed", nil, []Code{InitialMastersSet, NetworkHostAllInterfaces, PlaceholderUnresolved, RolesCombined}},
		{"good", nil, []Code{RolesCombined}},
		{"name-mismatch", nil, []Code{ClusterNameMismatch}},
		{"even-masters", nil, []Code{MastersEven}},
		{"misspelled", nil, []Code{SettingUnknown}},
		{"two-masters", nil, []Code{InitialMastersSet, InitialMastersUnknown, MastersTooFew, RolesCombined, SeedHostsIncomplete}},
		{"zones", nil, []Code{AwarenessMissing, PlaceholderUnresolved}},
		{"zones", map[string]string{"ES_HOST_1": "10.0.1.1", "ES_HOST_2": "10.0.2.1", "ES_HOST_3": "10.0.3.1"}, []Code{AwarenessMissing}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			paths, _ := filepath.Glob(filepath.Join("testdata/files", tc.dir, "*.yml"))
			got := CheckFiles(paths, envOf(tc.env))
			if !reflect.DeepEqual(codes(got), tc.want) {
				t.Errorf("codes %v, want %v\n%s", codes(got), tc.want, dump(got))
			}
		})
	}
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f.Code) + " " + f.Subject + ": " + strings.Join(f.Evidence, "; ") + "\n")
	}
	return b.String()
}

func TestFileEvidence(t *testing.T) {
	mis := CheckFiles([]string{"testdata/files/misspelled/opensearch.yml"}, nil)
	want := []string{
		"bootstrap.memory_lokc: unknown, did you mean bootstrap.memory_lock?",
		"dicovery.seed_hosts: unknown, did you mean discovery.seed_hosts?",
	}
	if len(mis) != 1 || !reflect.DeepEqual(mis[0].Evidence, want) {
		t.Errorf("misspelled evidence:\n%s", dump(mis))
	}
	paths, _ := filepath.Glob("testdata/files/name-mismatch/*.yml")
	nm := CheckFiles(paths, nil)
	if len(nm) != 1 || !strings.Contains(strings.Join(nm[0].Evidence, "\n"), `cluster.name "prod-primray" in testdata/files/name-mismatch/es-3.yml`) {
		t.Errorf("name mismatch evidence:\n%s", dump(nm))
	}
	bad := CheckFiles([]string{"testdata/files/none.yml"}, nil)
	if len(bad) != 1 || bad[0].Code != FileUnreadable {
		t.Errorf("missing file: %s", dump(bad))
	}
}

func TestParseForms(t *testing.T) {
	env := envOf(map[string]string{"A": "x", "B": "A", "LOOP": "${LOOP}"})
	f, err := ParseFile("t.yml", []byte(`
cluster:
  name: c-${A}
  routing.allocation.awareness.attributes: zone,rack
node.roles: []
discovery.seed_hosts:
  - h1
  - "${B:zz}:9300"
network.host: ${MISSING:_site_}
path.data: ${NOPE}/data
http.port: 9200
bootstrap.memory_lock: true
nested: ${${B}}
loop: ${LOOP}
`), env)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"cluster.name": "c-x", "network.host": "_site_", "path.data": "${NOPE}/data", "http.port": "9200",
		"bootstrap.memory_lock": "true", "discovery.seed_hosts": "h1,A:9300", "nested": "x",
	} {
		if got, _ := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if l, _ := f.List("cluster.routing.allocation.awareness.attributes"); !reflect.DeepEqual(l, []string{"zone", "rack"}) {
		t.Errorf("comma list = %q", l)
	}
	if r := f.roles(); len(r) != 0 || f.masterEligible() {
		t.Errorf("coordinating-only roles = %v", r)
	}
	if !slices.Contains(f.Unresolved, "NOPE") {
		t.Errorf("Unresolved = %v", f.Unresolved)
	}
	for _, bad := range []string{"- a\n- b\n", "a: [\n", "cluster.name: a\ncluster:\n  name: b\n", "a: [{b: c}]\n"} {
		if _, err := ParseFile("bad.yml", []byte(bad), nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if f, err := ParseFile("empty.yml", nil, nil); err != nil || len(f.Settings) != 0 {
		t.Errorf("empty file: %v %v", f, err)
	}
}

func TestSuggest(t *testing.T) {
	for key, want := range map[string]string{
		"cluster.name": "", "node.attr.anything": "", "netwrok.host": "network.host",
		"cluster.initial_master_node": "cluster.initial_master_nodes", "xpack.security.enabeld": "xpack.security.enabled",
		"plugins.security.disabeld": "plugins.security.disabled", "my.own.plugin.setting": "",
	} {
		if got := suggest(key); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}
