package testbed

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestSpecSettings checks that extra settings reach every node last, sorted, and that
// they cannot replace what forms the cluster.
func TestSpecSettings(t *testing.T) {
	s := Spec{Engine: "opensearch2", Cluster: "a", Nodes: 2, Dir: t.TempDir(),
		Settings: map[string]string{"path.repo": "/tmp/r", "action.auto_create_index": "false"}}
	s, err := s.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		got := nodeSettings(engines["opensearch2"], s, i, []int{9200, 9201}, []int{9300, 9301})
		if tail := got[len(got)-2:]; !slices.Equal(tail, []string{"action.auto_create_index=false", "path.repo=/tmp/r"}) {
			t.Errorf("node %d: settings end with %q", i, tail)
		}
	}
	if got := nodeSettings(engines["es7"], Spec{Cluster: "a", Nodes: 1}, 0, []int{1}, []int{2}); strings.Contains(strings.Join(got, " "), "path.repo") {
		t.Errorf("no Settings: %q", got)
	}
	for _, bad := range []map[string]string{{"cluster.name": "x"}, {"node.roles": "[data]"}, {"a=b": "c"}, {"": "x"}, {"k": "a\nb"}} {
		s := Spec{Engine: "es7", Cluster: "a", Dir: t.TempDir(), Settings: bad}
		if _, err := s.withDefaults(); !errors.Is(err, ErrBadSpec) {
			t.Errorf("Settings %q: %v, want ErrBadSpec", bad, err)
		}
	}
}
