package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.err from the current messages")

// testEnv is the environment the fixtures and examples are parsed with. The bad
// fixtures rely on ES_PASSWORD, ESDR_ADMIN_TOKEN and friends being unset.
func testEnv(vars map[string]string) Env {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// TestBadFixtures parses every testdata/bad/*.yaml and compares the problems, one
// per line, with the sibling .err file exactly: the messages are part of the interface.
func TestBadFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(data, "testdata/bad", testEnv(nil))
			var ps Problems
			if !errors.As(err, &ps) || c != nil {
				t.Fatalf("Parse = %v, %v; want nil and Problems", c, err)
			}
			got := ps.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("problems differ\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}

// TestGoodFixtures parses every testdata/good/*.yaml without problems.
func TestGoodFixtures(t *testing.T) {
	parseAll(t, "testdata/good/*.yaml", map[string]string{
		"ES_PASSWORD":      "changeme",
		"ESDR_ADMIN_TOKEN": "0123456789abcdef",
	})
}

// TestExamples keeps the shipped examples valid: each must parse with the variables
// its comments tell the operator to set.
func TestExamples(t *testing.T) {
	parseAll(t, "../../examples/*.yaml", map[string]string{
		"ES_PASSWORD":      "changeme",
		"ES_API_KEY":       "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
		"ESDR_ADMIN_TOKEN": "0123456789abcdef",
	})
}

func parseAll(t *testing.T, pattern string, vars map[string]string) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s: %v", pattern, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(data, filepath.Dir(f), testEnv(vars)); err != nil {
				t.Errorf("%s:\n%v", f, err)
			}
		})
	}
}
