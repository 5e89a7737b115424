package state

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// helperEnv switches the test binary into the writer child of TestCrashSafety; its
// value is the state file to write.
const helperEnv = "ESDR_STATE_CRASH_HELPER"

// crashMaxEvents is small so trimming runs in nearly every commit of the crash test.
const crashMaxEvents = 50

// TestHelperProcess is not a test: run by TestCrashSafety as a child process, it
// commits decisions as fast as it can until it is killed. Every commit stores
// Epoch == Revision and two events, the last of which names the new active cluster.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("child process of TestCrashSafety")
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	f, err := OpenFile(path, FileOptions{MaxEvents: crashMaxEvents, LockTimeout: 5 * time.Second})
	if err != nil {
		fail(err)
	}
	ctx := t.Context()
	rec, err := f.Load(ctx)
	if err != nil {
		fail(err)
	}
	padding := strings.Repeat("x", 300) // spreads commits over more pages
	for first := true; ; first = false {
		epoch := rec.Revision + 1
		active := []string{"east", "west"}[epoch%2]
		at := time.Unix(1_700_000_000, 0).Add(time.Duration(epoch) * time.Second).UTC()
		s := decide.State{Active: active, Epoch: epoch, ActiveSince: at, LastTransition: &decide.Transition{
			Kind: decide.ActFailover, To: active, Epoch: epoch, Code: decide.CodeActiveDown, At: at,
		}}
		rec, _, err = f.CommitDecision(ctx, rec.Revision, s,
			Event{At: at, Kind: EventObserved, Epoch: epoch, Code: decide.CodeActiveDown, Message: padding},
			Event{At: at, Kind: EventDecided, Epoch: epoch, To: active, Message: padding})
		if err != nil {
			fail(err)
		}
		if first {
			fmt.Println("ready") // the parent's cue that kills now land mid-stream
		}
	}
}

// TestCrashSafety proves that a kill -9 at an arbitrary instant leaves a state file
// that opens, decodes, and holds a decision together with exactly its events.
func TestCrashSafety(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	var prev uint64
	for round := range 5 {
		killChild(t, path, time.Duration(rng.Int64N(int64(300*time.Millisecond))))
		rev := checkAfterCrash(t, path)
		if rev <= prev {
			t.Fatalf("round %d: revision %d after the kill, was %d before: the child made no progress", round, rev, prev)
		}
		t.Logf("round %d: killed at revision %d", round, rev)
		prev = rev
	}
}

// killChild starts the writer child, lets it write for after once it is under way,
// then SIGKILLs it and waits until it is gone (and its file lock with it).
func killChild(t *testing.T, path string, after time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := false
	for sc := bufio.NewScanner(stdout); !ready && sc.Scan(); {
		ready = sc.Text() == "ready"
	}
	if ready {
		time.Sleep(after)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if !ready {
		t.Fatalf("child exited before its first commit: %s", stderr.Bytes())
	}
}

// checkAfterCrash reopens the file and checks what the child's commits promise.
func checkAfterCrash(t *testing.T, path string) uint64 {
	t.Helper()
	f, err := OpenFile(path, FileOptions{MaxEvents: crashMaxEvents, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer func() { _ = f.Close() }()
	rec, err := f.Load(t.Context())
	if err != nil {
		t.Fatalf("load after kill: %v", err)
	}
	s := rec.State
	if rec.Revision == 0 || s.Epoch != rec.Revision || s.LastTransition == nil || s.LastTransition.Epoch != s.Epoch {
		t.Fatalf("record after kill does not hold Epoch == Revision: %+v", rec)
	}
	evs, err := f.Events(t.Context(), 0, MaxEventsLimit)
	if err != nil {
		t.Fatalf("events after kill: %v", err)
	}
	if want := min(crashMaxEvents, 2*rec.Revision); uint64(len(evs)) != want {
		t.Fatalf("%d events kept, want %d", len(evs), want)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq != evs[i-1].Seq+1 {
			t.Fatalf("Seqs not contiguous: %d then %d", evs[i-1].Seq, evs[i].Seq)
		}
	}
	last := evs[len(evs)-1]
	if last.Seq != 2*rec.Revision || last.Kind != EventDecided || last.Epoch != s.Epoch || last.To != s.Active {
		t.Fatalf("last event %+v does not match the state %+v at revision %d", last, s, rec.Revision)
	}
	return rec.Revision
}
