package testbed

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewRejects checks the errors a caller sees before any node starts.
func TestNewRejects(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()

	cases := []struct {
		name string
		spec Spec
		is   error
		text string
	}{
		{"unknown engine", Spec{Engine: "es9", Cluster: "a", Dir: dir}, ErrUnknownEngine, `"es9" (want one of es7, opensearch2, opensearch3)`},
		{"bad name", Spec{Engine: "es7", Cluster: "A_B", Dir: dir}, ErrBadSpec, "cluster name"},
		{"negative nodes", Spec{Engine: "es7", Cluster: "a", Nodes: -1, Dir: dir}, ErrBadSpec, "node count -1"},
		{"too many nodes", Spec{Engine: "es7", Cluster: "a", Nodes: 10, Dir: dir}, ErrBadSpec, "node count 10"},
		{"privileged port", Spec{Engine: "es7", Cluster: "a", HTTPPort: 80, Dir: dir}, ErrBadSpec, "http port 80"},
		{"no dir", Spec{Engine: "es7", Cluster: "a"}, ErrBadSpec, "state dir"},
		{"port in use", Spec{Engine: "es7", Cluster: "a", Nodes: 1, HTTPPort: taken, Dir: dir}, ErrPortInUse, "in use"},
		{"overlapping ports", Spec{Engine: "es7", Cluster: "a", Nodes: 3, HTTPPort: 29000, TransportPort: 29002, Dir: dir}, ErrBadSpec, "overlap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.spec)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("New: %v; want %v containing %q", err, c.is, c.text)
			}
		})
	}
}

// TestJarsMissing checks the error points at the installer.
func TestJarsMissing(t *testing.T) {
	t.Setenv("ESDR_ENGINES_DIR", t.TempDir())
	_, err := New(Spec{Engine: "opensearch2", Cluster: "a", Nodes: 1, Dir: t.TempDir()})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "run scripts/install.sh") {
		t.Fatalf("New: %v; want ErrNotInstalled naming scripts/install.sh", err)
	}
}

func TestStoppedNode(t *testing.T) {
	dir := t.TempDir()
	n := &Node{Name: "x-1", Dir: filepath.Join(dir, "x-1"), LogPath: filepath.Join(dir, "x-1.log")}
	if s := n.State(); s != Stopped {
		t.Fatalf("never started: %s", s)
	}
	if err := n.Kill(); err != nil {
		t.Fatalf("kill of a stopped node: %v", err)
	}
	if err := n.Pause(); err == nil {
		t.Fatal("pause of a stopped node: no error")
	}
	if err := os.WriteFile(n.LogPath, []byte("a\nb\nc\nd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := n.LogTail(2); got != "c\nd" {
		t.Fatalf("LogTail(2) = %q", got)
	}
	// Our own pid is running but is not this node: its command line lacks the node's dir.
	if s := procState(os.Getpid(), n.Dir); s != Stopped {
		t.Fatalf("foreign pid: %s", s)
	}
}
