package act

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// hookBaseEnv are the variables of esdr's environment every hook gets: enough to find
// programs and to write dates and text, nothing that authenticates.
var hookBaseEnv = []string{"PATH", "HOME", "LANG", "TZ"}

// redactedMark replaces a secret in a hook's stderr.
const redactedMark = "<redacted>"

// Hook is the operator's pre hook, orchestrator's PreFailover: a command (argv, no
// shell) run with the transition in its environment — ESDR_FROM, ESDR_TO, ESDR_EPOCH,
// ESDR_REASON, ESDR_ACTION, ESDR_CODE. Exit 0 lets the transition proceed; anything
// else vetoes it, and so does not answering within Timeout: a hook that cannot say yes
// has not said yes.
//
// The hook does not inherit esdr's environment, which holds esdr's credentials
// (ES_PASSWORD, ESDR_ADMIN_TOKEN): it gets PATH, HOME, LANG and TZ, the variables named
// in Env, and the transition's.
type Hook struct {
	// Name identifies the hook in events; default the command's base name.
	Name    string
	Command []string
	Timeout time.Duration
	// Env names further variables of esdr's environment the hook gets.
	Env []string
	// Redact are values (the configuration's secrets) replaced by "<redacted>" in the
	// stderr a veto reports, which ends up in events and logs.
	Redact []string
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
	cmd.Env = h.environ(t, os.LookupEnv)
	stderr := h.newTail()
	cmd.Stderr = stderr
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

// environ is the hook's whole environment for t: the base variables and those named in
// Env, as lookup (esdr's environment) has them, then the transition's, which come last
// and so win over a variable of the same name (exec keeps the last).
func (h *Hook) environ(t transition, lookup func(string) (string, bool)) []string {
	var env []string
	for _, k := range slices.Concat(hookBaseEnv, h.Env) {
		if v, ok := lookup(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, "ESDR_FROM="+t.From, "ESDR_TO="+t.To, "ESDR_EPOCH="+strconv.FormatUint(t.Epoch, 10),
		"ESDR_REASON="+t.Reason, "ESDR_ACTION="+string(t.Action), "ESDR_CODE="+string(t.Code))
}

// newTail is where the hook's stderr goes: its end, with h.Redact replaced.
func (h *Hook) newTail() *tail {
	secrets := slices.DeleteFunc(slices.Clone(h.Redact), func(s string) bool { return s == "" })
	if len(secrets) == 0 {
		return &tail{}
	}
	// Longest first: a secret containing another is replaced whole.
	slices.SortStableFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, redactedMark)
	}
	return &tail{slack: len(secrets[0]), redact: strings.NewReplacer(pairs...)}
}

// tail keeps the last bytes written to it: stderrTail of them, plus slack, the longest
// secret, so that a secret ending in the last stderrTail bytes is whole when redacted.
type tail struct {
	buf     []byte
	slack   int
	dropped bool // the buffer lost its beginning
	redact  *strings.Replacer
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - stderrTail - t.slack; over > 0 {
		t.buf, t.dropped = t.buf[over:], true
	}
	return len(p), nil
}

// String is the end of what was written on one line, secrets replaced. A buffer that lost
// its beginning may start with the end of a secret, which no replacement finds: the
// first slack bytes are dropped after redacting, which is where such a piece sits.
func (t *tail) String() string {
	s := string(t.buf)
	if t.redact != nil {
		s = t.redact.Replace(s)
		if t.dropped {
			s = s[min(t.slack, len(s)):]
		}
	}
	if over := len(s) - stderrTail; over > 0 {
		s = s[over:]
	}
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
}
