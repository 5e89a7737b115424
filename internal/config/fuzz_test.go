package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics and either returns a config or problems, never both or
// neither. The seed corpus is every fixture and example; `go test -short` runs only
// the seeds, `go test -fuzz FuzzParse` explores.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*/*.yaml", "../../examples/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("a: &a [*a]\nclusters: *a"))
	f.Add([]byte("clusters: [{nodes: [http://h:1]}]\n? [x]\n: y"))
	f.Add([]byte("clusters:\n- <<: {name: x}\n"))
	env := testEnv(map[string]string{"ES_PASSWORD": "changeme", "ESDR_ADMIN_TOKEN": "0123456789abcdef"})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "", env)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of them", c, err)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		if c != nil {
			_ = c.Redacted()
			_ = c.Policy()
			for _, cl := range c.Clusters {
				_ = c.ClusterHealth(cl.Name)
			}
		}
	})
}
