package act

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultHookTimeout bounds a pre hook that does not set its own timeout.
const DefaultHookTimeout = 30 * time.Second

// stderrTail is how much of a hook's stderr is kept for the veto event.
const stderrTail = 1024

// ErrVetoed is matched (errors.Is) by every veto from the pre hook.
var ErrVetoed = errors.New("act: vetoed by the pre hook")

// Hook is the operator's pre hook, orchestrator's PreFailover: a command (argv, no
// shell) run with the transition in its environment — ESDR_FROM, ESDR_TO, ESDR_EPOCH,
// ESDR_REASON, ESDR_ACTION, ESDR_CODE. Exit 0 lets the transition proceed; anything
// else vetoes it, and so does not answering within Timeout: a hook that cannot say yes
// has not said yes.
type Hook struct {
	// Name identifies the hook in events; default the command's base name.
	Name    string
	Command []string
	Timeout time.Duration
}

func (h *Hook) validate() error {
	if h == nil {
		return nil
	}
	if len(h.Command) == 0 || h.Command[0] == "" {
		return errors.New("act: pre hook: empty command")
	}
	if _, err := exec.LookPath(h.Command[0]); err != nil {
		return fmt.Errorf("act: pre hook: %w", err)
	}
	if h.Timeout < 0 {
		return fmt.Errorf("act: pre hook: negative timeout %s", h.Timeout)
	}
	return nil
}

func (h *Hook) name() string {
	if h.Name != "" {
		return h.Name
	}
	return filepath.Base(h.Command[0])
}

// VetoError says which hook refused a transition and why, with the end of its stderr.
type VetoError struct {
	Hook   string
	Err    error // *exec.ExitError, a timeout, or a failure to start
	Stderr string
}

func (v *VetoError) Error() string {
	msg := fmt.Sprintf("act: pre hook %s vetoed the transition: %v", v.Hook, v.Err)
	if v.Stderr != "" {
		msg += ": " + v.Stderr
	}
	return msg
}

func (v *VetoError) Unwrap() error        { return v.Err }
func (v *VetoError) Is(target error) bool { return target == ErrVetoed }

// run runs the hook for t and returns a *VetoError unless it exits 0 in time. The hook
// gets its own process group, killed whole on timeout, so a shell script's children do
// not outlive it.
func (h *Hook) run(ctx context.Context, t transition) error {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultHookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Command[0], h.Command[1:]...)
	cmd.Env = append(os.Environ(),
		"ESDR_FROM="+t.From, "ESDR_TO="+t.To, "ESDR_EPOCH="+strconv.FormatUint(t.Epoch, 10),
		"ESDR_REASON="+t.Reason, "ESDR_ACTION="+string(t.Action), "ESDR_CODE="+string(t.Code))
	var stderr tail
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("no answer within %s", timeout)
	}
	return &VetoError{Hook: h.name(), Err: err, Stderr: stderr.String()}
}

// tail keeps the last stderrTail bytes written to it.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - stderrTail; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	return strings.Join(strings.Fields(string(bytes.ToValidUTF8(t.buf, nil))), " ")
}
