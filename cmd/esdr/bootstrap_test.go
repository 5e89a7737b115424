package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunBootstrapActiveUsage: a --bootstrap-active that names no configured cluster is
// a usage error (exit 2) naming the allowed clusters, before anything is opened.
func TestRunBootstrapActiveUsage(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "esdr.yaml")
	yaml := `clusters:
  - name: primary
    nodes: [http://127.0.0.1:1]
  - name: standby
    nodes: [http://127.0.0.1:2]
state:
  path: ` + filepath.Join(dir, "state.db") + `
admin:
  listen: 127.0.0.1:0
  token: 0123456789abcdef0123
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"run", "-c", cfg, "--bootstrap-active", "secondary"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), `--bootstrap-active "secondary" is not a configured cluster, want one of primary, standby`) {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); !os.IsNotExist(err) {
		t.Fatalf("the state file was created on a usage error: %v", err)
	}
}
