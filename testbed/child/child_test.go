package child

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOutputAndExit(t *testing.T) {
	p := StartT(t, exec.Command("sh", "-c", "echo one; echo two >&2; echo three"), Options{})
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := p.Log(2); got != "two\nthree" {
		t.Fatalf("Log(2) = %q", got)
	}
	if !p.Exited() || p.Stop() != nil {
		t.Fatal("an exited process must stop without error")
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	// The shell ignores SIGTERM: Stop must fall back to SIGKILL and say so.
	p, err := Start(exec.Command("sh", "-c", `trap "" TERM; echo ready; while :; do sleep 0.05; done`), Options{Grace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(p.Output(), "ready") {
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Stop(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Stop = %v, want an error saying it killed the process", err)
	}
	if !p.Exited() {
		t.Fatal("process still running after Stop")
	}
}

func TestGroupSignalReachesChildren(t *testing.T) {
	// sh forks sleep; SIGTERM to the group ends both, so Wait returns.
	p := StartT(t, exec.Command("sh", "-c", "sleep 30 & wait"), Options{Group: true, Grace: 5 * time.Second})
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("group did not end on SIGTERM")
	}
}

func TestWaitDoesNotHangOnAGrandchildsPipe(t *testing.T) {
	// The shell exits at once; its background sleep keeps the output pipe open.
	p := StartT(t, exec.Command("sh", "-c", "sleep 8 & echo started"), Options{})
	select {
	case <-p.Done():
	case <-time.After(6 * time.Second): // the drain bound is 2 s; the sleep holds the pipe 8 s
		t.Fatal("Wait still blocked on the grandchild's pipe")
	}
	if !strings.Contains(p.Output(), "started") {
		t.Fatalf("output %q", p.Output())
	}
}
