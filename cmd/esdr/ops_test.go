package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

const opsToken = "cli-test-token-0123"

var opsT0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// opsFake is a Controller for a pure test of the CLI over the real HTTP layer.
type opsFake struct{ err error }

func (f opsFake) Status(context.Context) (admin.Status, error) {
	return admin.Status{
		State: decide.State{Active: "west", Epoch: 4, ActiveSince: opsT0, HoldDownUntil: opsT0.Add(time.Hour),
			LastTransition: &decide.Transition{Kind: decide.ActFailover, From: "east", To: "west", Epoch: 4, Code: decide.CodeActiveDown, At: opsT0}},
		Clusters: []admin.ClusterStatus{
			{Name: "east", Role: "primary", Observation: health.Observation{Verdict: health.VerdictDown, Last: health.KindUnreachable, Detail: "connection refused\nby every node"}},
			{Name: "west", Role: "standby", Active: true, Observation: health.Observation{Verdict: health.VerdictUp, Last: health.KindHealthy, Detail: "3 nodes, status green"}},
		},
		LastDecision:   decide.Decision{Action: decide.ActNone, Epoch: 4, Code: decide.CodeHoldDown, Reason: "failback suppressed by hold-down"},
		HoldDownActive: true,
	}, f.err
}

func (f opsFake) Endpoint(context.Context) (epoch.Endpoint, error) {
	return epoch.Endpoint{}, f.err
}

func (f opsFake) Events(_ context.Context, after uint64, limit int) ([]state.Event, error) {
	var evs []state.Event
	for i := range min(limit, 3) {
		evs = append(evs, state.Event{Seq: after + uint64(i) + 1, At: opsT0, Kind: state.EventDecided, Code: decide.CodeActiveDown, From: "east", To: "west", Epoch: 4, Message: "east is down"})
	}
	return evs, f.err
}

func (f opsFake) Command(_ context.Context, cmd decide.Command) (decide.Decision, error) {
	if cmd.Kind == decide.CmdSwitchover && cmd.To == "down" && !cmd.Force {
		return decide.Decision{Action: decide.ActRefuse, Epoch: 4, Code: decide.CodeSwitchoverRefused, Reason: "target down is down; use --force to override"}, f.err
	}
	if cmd.Kind == decide.CmdSwitchover {
		return decide.Decision{Action: decide.ActSwitchover, From: "west", To: cmd.To, Epoch: 5, Code: decide.CodeSwitchover, Reason: "planned switchover requested by " + cmd.By}, f.err
	}
	return decide.Decision{Action: decide.ActUpdate, Epoch: 4, Code: decide.Code(cmd.Kind), Reason: "done"}, f.err
}

func opsServer(t *testing.T, ctl admin.Controller) string {
	t.Helper()
	return opsServerConfig(t, admin.Config{Listen: "127.0.0.1:0", Token: opsToken}, ctl)
}

func opsServerConfig(t *testing.T, cfg admin.Config, ctl admin.Controller) string {
	t.Helper()
	srv, err := admin.New(cfg, ctl, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func runOps(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestOpsCLI(t *testing.T) {
	url := opsServer(t, opsFake{})
	t.Setenv("ESDR_ADDR", url)
	t.Setenv("ESDR_ADMIN_TOKEN", opsToken)
	t.Setenv("USER", "alice")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(opsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args     []string
		code     int
		out, err string // substrings
	}{
		{[]string{"status"}, 0, "active:           west (epoch 4, since 2030-01-02T03:04:05Z)", ""},
		{[]string{"status"}, 0, "hold-down:        until 2030-01-02T04:04:05Z: no automatic transition; run 'esdr ack' to lift it", ""},
		{[]string{"status"}, 0, "last transition:  failover east -> west at 2030-01-02T03:04:05Z (active-down)", ""},
		{[]string{"status"}, 0, "last decision:    hold-down: failback suppressed by hold-down", ""},
		{[]string{"status"}, 0, "NAME  ROLE     ACTIVE  VERDICT  LAST         DETAIL\neast  primary  -       down     unreachable  connection refused by every node\nwest  standby  *       up       healthy      3 nodes, status green\n", ""},
		{[]string{"status", "--addr", "http://127.0.0.1:1", "--addr", url, "--timeout", "2s"}, 0, "active:", ""},
		{[]string{"status", "--json"}, 0, `"active": "west"`, ""},
		{[]string{"events", "--after", "7", "--limit", "2"}, 0, "8    2030-01-02T03:04:05Z  decided  active-down  4      east -> west  east is down\n", ""},
		{[]string{"events", "--after", "7", "--limit", "2"}, 0, "(more may follow: esdr events --after 9)", ""},
		{[]string{"events", "--after", "7", "--limit", "5"}, 0, "10   2030-01-02T03:04:05Z", ""},
		{[]string{"events", "--json"}, 0, `"seq": 3`, ""},
		{[]string{"events", "--limit", "2"}, 0, "2    2030-01-02T03:04:05Z  decided  active-down  4      east -> west  east is down\n3 ", ""},
		{[]string{"events", "--limit", "2"}, 0, "(the newest 2; older ones: esdr events --after 0)", ""},
		{[]string{"events", "--limit", "0"}, 2, "", "--limit 0: want 1 to 1000"},
		{[]string{"switchover", "--to", "east"}, 0, "switchover: west -> east, epoch 5 (switchover): planned switchover requested by alice@", ""},
		{[]string{"switchover", "--to", "down", "--force", "--json"}, 0, `"to": "down"`, ""},
		{[]string{"switchover", "--to", "down"}, 1, "", "esdr: switchover refused (switchover-refused): target down is down; use --force to override\n"},
		{[]string{"switchover"}, 2, "", "--to is required"},
		{[]string{"switchover", "--to", "east", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"pause"}, 0, "update (pause): done", ""},
		{[]string{"resume", "--token-file", tokenFile}, 0, "update (resume): done", ""},
		{[]string{"ack", "--token", "nope"}, 1, "", "rejected the token"},
		{[]string{"ack", "--token", "x", "--token-file", tokenFile}, 2, "", "give one, not both"},
		{[]string{"ack", "--token-file", filepath.Join(t.TempDir(), "missing")}, 2, "", "--token-file: open"},
		{[]string{"status", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"status", "--addr", "ftp://x"}, 2, "", "--addr/--timeout"},
		{[]string{"status", "-h"}, 0, "", "usage: esdr status [flags]"},
		{[]string{"events", "-h"}, 0, "", "usage: esdr events [--after N] [--limit N] [flags]"},
	}
	for _, c := range cases {
		code, out, errs := runOps(c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
			t.Errorf("esdr %s = %d\nstdout:\n%s\nstderr:\n%s\nwant %d, stdout with %q, stderr with %q",
				strings.Join(c.args, " "), code, out, errs, c.code, c.out, c.err)
		}
		if strings.Contains(errs, opsToken) {
			t.Errorf("esdr %s printed the token on stderr", strings.Join(c.args, " "))
		}
	}
	code, out, _ := runOps("status", "--json")
	var st admin.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.State.Epoch != 4 {
		t.Errorf("status --json is not a Status: %s", out)
	}
}

// TestOpsCLIReadToken: against an esdr with a read token, ESDR_READ_TOKEN reads (after
// ESDR_ADMIN_TOKEN, which is unset here) and a command with it says the admin token is needed.
func TestOpsCLIReadToken(t *testing.T) {
	const readToken = "cli-read-token-0123"
	t.Setenv("ESDR_ADDR", opsServerConfig(t, admin.Config{Listen: "127.0.0.1:0", Token: opsToken, ReadToken: readToken}, opsFake{}))
	t.Setenv("ESDR_ADMIN_TOKEN", "")
	t.Setenv("ESDR_READ_TOKEN", "")
	cases := []struct {
		env      string
		args     []string
		code     int
		out, err string
	}{
		{"", []string{"status"}, 1, "", "rejected the token (missing bearer token; send Authorization: Bearer <read token or admin token>); check --token, --token-file, ESDR_ADMIN_TOKEN or ESDR_READ_TOKEN"},
		{readToken, []string{"status"}, 0, "active:           west", ""},
		{readToken, []string{"events", "--limit", "1"}, 0, "decided", ""},
		{readToken, []string{"pause"}, 1, "", "esdr: pause: the token given is esdr's read token, which runs no command; give the admin token (--token, --token-file or ESDR_ADMIN_TOKEN)\n"},
		{readToken, []string{"pause", "--token", opsToken}, 0, "update (pause): done", ""},
	}
	for _, c := range cases {
		t.Setenv("ESDR_READ_TOKEN", c.env)
		code, out, errs := runOps(c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
			t.Errorf("ESDR_READ_TOKEN=%q esdr %s = %d\nstdout:\n%s\nstderr:\n%s\nwant %d, stdout with %q, stderr with %q",
				c.env, strings.Join(c.args, " "), code, out, errs, c.code, c.out, c.err)
		}
		if strings.Contains(errs, readToken) {
			t.Errorf("esdr %s printed the read token on stderr", strings.Join(c.args, " "))
		}
	}
}

func TestOpsCLIFailures(t *testing.T) {
	t.Setenv("ESDR_ADMIN_TOKEN", opsToken)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	code, _, errs := runOps("status", "--addr", dead)
	want := "esdr: cannot reach the admin API at " + dead + ": connection refused; is esdr run started, and is --addr right?\n"
	if code != 1 || errs != want {
		t.Errorf("unreachable: %d %q, want 1 %q", code, errs, want)
	}

	t.Setenv("ESDR_ADDR", opsServer(t, opsFake{err: errors.New("state: store is closed")}))
	code, _, errs = runOps("pause")
	if want := "esdr: pause: esdr could not answer: state: store is closed; check esdr's log\n"; code != 1 || errs != want {
		t.Errorf("controller error: %d %q, want 1 %q", code, errs, want)
	}
}

// lateSwitch stores a switchover but answers it with an error, as a command whose plan
// meets a hanging target answers after the CLI's timeout.
type lateSwitch struct {
	opsFake
	stored *atomic.Bool
}

func (f lateSwitch) Status(ctx context.Context) (admin.Status, error) {
	st, err := f.opsFake.Status(ctx)
	if f.stored.Load() {
		st.State.Active, st.State.Epoch = "east", 5
		st.Plan = &act.Plan{Epoch: 5, Status: act.StatusRunning}
	}
	return st, err
}

func (f lateSwitch) Command(context.Context, decide.Command) (decide.Decision, error) {
	f.stored.Store(true)
	return decide.Decision{}, errors.New("control: command switchover: no answer: context deadline exceeded")
}

func TestASwitchoverStoredButAnsweredLateSaysItHappened(t *testing.T) {
	t.Setenv("ESDR_ADDR", opsServer(t, lateSwitch{stored: new(atomic.Bool)}))
	t.Setenv("ESDR_ADMIN_TOKEN", opsToken)
	code, _, errs := runOps("switchover", "--to", "east")
	if want := "esdr switchover: the answer did not come in time, but esdr stored it: east is active at epoch 5; its plan is running"; code != 0 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want 0 and %q", code, errs, want)
	}
}
