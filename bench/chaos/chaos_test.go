package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
)

// shortSeeds are the short profile `make test` runs: with families
// primary-quorum,primary-master,esdr consecutive seeds cycle through them (familyOf), so
// these three are one failover that is due (2 or 3 primary nodes down), one that must
// not happen (the elected master alone), and esdr itself crashing or hanging.
const (
	shortFirstSeed = 3
	shortFamilies  = "primary-quorum,primary-master,esdr"
)

// TestShortCampaign is the campaign's short profile: three seeded runs on opensearch2
// with every invariant checked. It takes a few minutes (two 3-node clusters) and is
// skipped by -short.
func TestShortCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two 3-node clusters: not in -short")
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "esdr")
	build := exec.Command("go", "build", "-o", bin, "./cmd/esdr")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/esdr: %v\n%s", err, out)
	}
	f := flags{engine: "opensearch2", topology: embedded, esdrBin: bin, families: shortFamilies, runs: 3, seed: shortFirstSeed,
		histories: t.TempDir(), keep: true,
		cfg: runConfig{interval: time.Second, holdDown: time.Hour, bound: 20 * time.Second, grace: 10 * time.Second,
			warmup: 2 * time.Second, cooldown: 3 * time.Second, planWait: time.Minute, writers: 2}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c, err := campaign(ctx, f, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.errors {
		t.Errorf("runner failure: %s", e)
	}
	for _, r := range c.runs {
		if len(r.res.Violations) == 0 {
			continue
		}
		for _, v := range r.res.Violations {
			t.Errorf("seed %d (%s): %s", r.sched.seed, stepsOf(r.sched), v)
		}
		if h, err := os.ReadFile(r.history); err == nil {
			t.Logf("history of seed %d (last lines):\n%s", r.sched.seed, tailLines(string(h), 40))
		}
	}
	if len(c.runs)+len(c.errors) != f.runs {
		t.Errorf("%d runs checked and %d failed, want %d", len(c.runs), len(c.errors), f.runs)
	}
	t.Logf("\n%s", c.markdown())
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
