package testbed

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// launcherSource is the single-file Java program that starts one node; it is written
// into each cluster's folder, so the test bed does not need the source tree at run time.
//
//go:embed launcher/Launcher.java
var launcherSource []byte

// engine is what differs between the engines the test bed can run.
type engine struct {
	java              string // java binary: a path, or "java" from PATH
	initialMastersKey string
	masterRole        string
	extraSettings     []string
}

// engines are the engines whose jars scripts/install-engines.sh fetches into
// .cache/engines/<name>/. opensearch2 and es7 are required by the tests; opensearch3
// needs Java 21+ (Temurin 25 here).
var engines = map[string]engine{
	"opensearch2": {
		java:              "java",
		initialMastersKey: "cluster.initial_cluster_manager_nodes",
		masterRole:        "cluster_manager",
	},
	"es7": {
		java:              "java",
		initialMastersKey: "cluster.initial_master_nodes",
		masterRole:        "master",
	},
	"opensearch3": {
		java:              "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
		initialMastersKey: "cluster.initial_cluster_manager_nodes",
		masterRole:        "cluster_manager",
		// The 3.x runner forces single-node discovery when it starts one node.
		extraSettings: []string{"discovery.type=zen"},
	},
}

// EngineNames lists the engines the test bed knows, sorted, comma-separated.
func EngineNames() string {
	names := make([]string, 0, len(engines))
	for n := range engines {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// RequiredEngines are the engines every `make test` runs against.
var RequiredEngines = []string{"opensearch2", "es7"}

// EnginesUnderTest are the engines the real-peer tests run on: $ESDR_TESTBED_ENGINES
// (comma-separated), else RequiredEngines.
func EnginesUnderTest() []string {
	if v := os.Getenv("ESDR_TESTBED_ENGINES"); v != "" {
		return strings.Split(v, ",")
	}
	return RequiredEngines
}

// EnginesDir is where the engines' jars live: $ESDR_ENGINES_DIR, else .cache/engines
// under the repository root (see RepoRoot).
func EnginesDir() (string, error) {
	if d := os.Getenv("ESDR_ENGINES_DIR"); d != "" {
		return filepath.Abs(d)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", fmt.Errorf("%w: cannot find the engines' jars (set ESDR_ENGINES_DIR): %w", ErrNotInstalled, err)
	}
	return filepath.Join(root, ".cache", "engines"), nil
}

// RepoRoot is $ESDR_REPO_ROOT, else the nearest folder at or above the working directory
// whose go.mod declares module github.com/esdr/esdr.
func RepoRoot() (string, error) {
	if d := os.Getenv("ESDR_REPO_ROOT"); d != "" {
		return filepath.Abs(d)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testbed: repo root: %w", err)
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(mod), []byte("module github.com/esdr/esdr")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testbed: no esdr go.mod at or above the working directory (set ESDR_REPO_ROOT)")
		}
		dir = parent
	}
}

// installation is a located engine: its java binary and its jar folder.
type installation struct {
	java string
	jars string
}

// locate finds the java binary and jars of the named engine, or says what to install.
func locate(name string) (installation, error) {
	e, ok := engines[name]
	if !ok {
		return installation{}, fmt.Errorf("%w %q (want one of %s)", ErrUnknownEngine, name, EngineNames())
	}
	java, err := exec.LookPath(e.java)
	if err != nil {
		return installation{}, fmt.Errorf("%w: java for %s (%s) not found: run scripts/install.sh", ErrNotInstalled, name, e.java)
	}
	dir, err := EnginesDir()
	if err != nil {
		return installation{}, err
	}
	jars := filepath.Join(dir, name)
	if _, err := os.Stat(filepath.Join(jars, ".stamp")); err != nil {
		return installation{}, fmt.Errorf("%w: %s jars not found in %s: run scripts/install.sh", ErrNotInstalled, name, jars)
	}
	return installation{java: java, jars: jars}, nil
}

// writeLauncher puts Launcher.java into dir unless an identical copy is there.
func writeLauncher(dir string) (string, error) {
	path := filepath.Join(dir, "Launcher.java")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, launcherSource) {
		return path, nil
	}
	if err := os.WriteFile(path, launcherSource, 0o644); err != nil {
		return "", fmt.Errorf("testbed: write launcher: %w", err)
	}
	return path, nil
}
