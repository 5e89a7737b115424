package child

import (
	"os/exec"
	"testing"
)

// LogLines is how many of a child's last lines a failed test is shown.
const LogLines = 60

// StartT is Start for a test: it fails t when the process cannot start, and registers a
// cleanup that stops it and, when the test failed, logs the tail of its output.
func StartT(t testing.TB, cmd *exec.Cmd, o Options) *Proc {
	t.Helper()
	p, err := Start(cmd, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.StopT(t) })
	return p
}

// StopT stops the process and, when t failed, logs the tail of its output. A process
// that had to be killed is logged, not failed: the test asserted what it meant to.
func (p *Proc) StopT(t testing.TB) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Log(err)
	}
	if t.Failed() {
		t.Logf("%s (pid %d) log:\n%s", p.name, p.Pid(), p.Log(LogLines))
	}
}
