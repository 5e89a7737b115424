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

// TestHookEnvironmentIsAnAllowList: the hook gets PATH, HOME, LANG, TZ, the variables it
// names and the transition's; esdr's credentials stay out unless named, and a named
// variable cannot replace a transition's.
func TestHookEnvironmentIsAnAllowList(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ES_PASSWORD", "es-password-value")
	t.Setenv("ESDR_ADMIN_TOKEN", "admin-token-value")
	t.Setenv("HOOK_SITE", "dc1")
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("ESDR_FROM", "from-esdr-env")
	path := filepath.Join(dir, "env.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nenv > \""+filepath.Join(dir, "env")+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &Hook{Command: []string{path}, Timeout: 20 * time.Second, Env: []string{"HOOK_SITE", "ESDR_FROM", "UNSET_VAR"}}
	if err := h.run(context.Background(), transition{Epoch: 7, From: "east", To: "west", Action: decide.ActFailover, Code: decide.CodeActiveDown}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	env := "\n" + string(b)
	for _, want := range []string{"\nPATH=", "\nLANG=C.UTF-8\n", "\nHOOK_SITE=dc1\n", "\nESDR_FROM=east\n", "\nESDR_TO=west\n", "\nESDR_EPOCH=7\n", "\nESDR_ACTION=failover\n", "\nESDR_CODE=active-down\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("the hook's environment lacks %q:%s", strings.TrimSpace(want), env)
		}
	}
	for _, bad := range []string{"es-password-value", "admin-token-value", "from-esdr-env", "UNSET_VAR"} {
		if strings.Contains(env, bad) {
			t.Errorf("the hook's environment holds %q:%s", bad, env)
		}
	}
}

// TestHookStderrRedacted: the configuration's secrets never reach a veto's stderr, even
// when its tail begins inside one.
func TestHookStderrRedacted(t *testing.T) {
	const secret = "s3cr3t-0123456789"
	dir := t.TempDir()
	cases := []struct {
		name, out string
		want      func(string) bool
	}{
		{"whole", "login as elastic:" + secret + " refused",
			func(s string) bool { return s == "login as elastic:<redacted> refused" }},
		// 1701 bytes: the tail kept begins with the last 4 bytes of a secret, and the
		// replacements shrink the rest below stderrTail.
		{"cut by the tail", "X" + strings.Repeat(secret, 100),
			func(s string) bool {
				return !strings.Contains(s, "6789") && strings.HasSuffix(s, "<redacted><redacted>")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name)
			if err := os.WriteFile(out, []byte(c.out), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "veto.sh")
			if err := os.WriteFile(path, []byte("#!/bin/sh\ncat \""+out+"\" >&2\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			h := &Hook{Command: []string{path}, Timeout: 20 * time.Second, Redact: []string{"0123", secret, ""}}
			var ve *VetoError
			if err := h.run(context.Background(), transition{Epoch: 1}); !errors.As(err, &ve) || !c.want(ve.Stderr) || strings.Contains(err.Error(), secret) {
				t.Errorf("stderr %q (err %v)", ve.Stderr, err)
			}
		})
	}
}
