package act

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// script writes an executable shell script that logs its environment to dir/calls and
// exits with code.
func script(t *testing.T, dir string, code int, stderr string) *Hook {
	t.Helper()
	path := filepath.Join(dir, "pre-hook.sh")
	body := "#!/bin/sh\n" +
		`echo "$ESDR_ACTION $ESDR_FROM $ESDR_TO $ESDR_EPOCH $ESDR_CODE $ESDR_REASON" >> "` + filepath.Join(dir, "calls") + "\"\n" +
		"echo '" + stderr + "' >&2\n" +
		"exit " + string(rune('0'+code)) + "\n"
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Hook{Command: []string{path}, Timeout: 20 * time.Second}
}

func calls(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "calls"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestVetoBeforeCommit(t *testing.T) {
	r := newRig(t)
	now := t0
	e := r.executor(t, func(o *Options) {
		o.PreHook = script(t, r.dir, 1, "writes are being migrated")
		o.Now = func() time.Time { return now }
	})
	d := decide.Decision{Action: decide.ActFailover, From: "east", To: "west", Epoch: 2, Code: decide.CodeActiveDown, Reason: "east is down"}
	err := e.Veto(context.Background(), d)
	var ve *VetoError
	if !errors.Is(err, ErrVetoed) || !errors.As(err, &ve) || ve.Hook != "pre-hook.sh" || ve.Stderr != "writes are being migrated" {
		t.Fatalf("Veto = %v", err)
	}
	if got := calls(t, r.dir); len(got) != 1 || got[0] != "failover east west 2 active-down east is down" {
		t.Errorf("hook environment: %q", got)
	}
	evs := strings.Join(actedEvents(t, r.st), "\n")
	if !strings.Contains(evs, "refused: failover east → west vetoed by pre hook pre-hook.sh: exit status 1: writes are being migrated") {
		t.Errorf("events:\n%s", evs)
	}
	// The loop asks again next tick: refused from memory, the hook is not re-run...
	if err := e.Veto(context.Background(), d); !errors.Is(err, ErrVetoed) || len(calls(t, r.dir)) != 1 {
		t.Errorf("second Veto = %v after %d hook runs", err, len(calls(t, r.dir)))
	}
	// ...but an operator's switchover always asks.
	sw := d
	sw.Action, sw.Code = decide.ActSwitchover, decide.CodeSwitchover
	if err := e.Veto(context.Background(), sw); !errors.Is(err, ErrVetoed) || len(calls(t, r.dir)) != 2 {
		t.Errorf("switchover Veto = %v after %d hook runs", err, len(calls(t, r.dir)))
	}
	// After the hold, the hook is asked again.
	now = now.Add(2 * time.Minute)
	_ = e.Veto(context.Background(), d)
	if n := len(calls(t, r.dir)); n != 3 {
		t.Errorf("hook ran %d times, want 3", n)
	}
	if len(r.j.list()) != 0 {
		t.Errorf("a vetoed transition acted: %q", r.j.list())
	}
}

func TestApprovedHookIsNotAskedAgainByThePlan(t *testing.T) {
	r := newRig(t)
	e := r.executor(t, func(o *Options) { o.PreHook = script(t, r.dir, 0, "") })
	d := decide.Decision{Action: decide.ActFailover, From: "east", To: "west", Epoch: 2, Code: decide.CodeActiveDown}
	if err := e.Veto(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	// A crash right after the commit: the restarted esdr must not ask the hook again.
	if err := r.executor(t, func(o *Options) { o.PreHook = script(t, r.dir, 0, "") }).Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	if n := len(calls(t, r.dir)); n != 1 {
		t.Errorf("hook ran %d times, want once", n)
	}
	if st := stored(t, r.st, 2).Steps[0]; st.Kind != StepPreHook || st.Status != StatusDone {
		t.Errorf("pre-hook step %+v", st)
	}
}

func TestVetoInsidePlanStopsIt(t *testing.T) {
	// A loop that does not call Veto: the plan's own pre-hook step vetoes.
	r := newRig(t)
	e := r.executor(t, func(o *Options) { o.PreHook = script(t, r.dir, 1, "no") })
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); !errors.Is(err, ErrVetoed) {
		t.Fatalf("Act = %v", err)
	}
	p := stored(t, r.st, 2)
	if p.Status != StatusVetoed || p.Steps[0].Status != StatusVetoed || p.Steps[1].Status != StatusSkipped {
		t.Errorf("plan %s %q", p.Status, statuses(p))
	}
	if len(r.j.list()) != 0 {
		t.Errorf("vetoed plan acted: %q", r.j.list())
	}
	if err := r.executor(t, nil).Resume(context.Background()); err != nil || len(r.j.list()) != 0 {
		t.Errorf("a vetoed plan was resumed: %v %q", err, r.j.list())
	}
}

func TestHookTimeoutVetoes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "slow.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nsleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &Hook{Command: []string{path}, Timeout: 100 * time.Millisecond}
	err := h.run(context.Background(), transition{Epoch: 1})
	if !errors.Is(err, ErrVetoed) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Errorf("run = %v", err)
	}
}
