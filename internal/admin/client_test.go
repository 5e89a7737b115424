package admin_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

func TestClient(t *testing.T) {
	h := start(t, testToken)
	c, err := admin.NewClient(h.srv.Addr(), testToken, 5*time.Second) // bare host:port means http
	if err != nil {
		t.Fatal(err)
	}
	c.By = "alice"
	ctx := t.Context()

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.State.Active != "east" || st.Revision != 7 || len(st.Clusters) != 2 || st.Clusters[1].Observation.Verdict != health.VerdictDown {
		t.Errorf("status = %+v", st)
	}
	ep, err := c.Endpoint(ctx)
	if err != nil || ep.Cluster != "east" || ep.Epoch != 3 {
		t.Errorf("endpoint = %+v, %v", ep, err)
	}
	evs, err := c.Events(ctx, 10, 2)
	if err != nil || len(evs) != 2 || evs[0].Seq != 11 || !evs[0].At.Equal(t0) {
		t.Errorf("events = %+v, %v", evs, err)
	}

	d, err := c.Switchover(ctx, "west", false)
	if err != nil || d.Action != decide.ActSwitchover || d.To != "west" || d.Epoch != 4 {
		t.Errorf("switchover = %+v, %v", d, err)
	}
	for name, f := range map[string]func() (decide.Decision, error){
		"pause":  func() (decide.Decision, error) { return c.Pause(ctx) },
		"resume": func() (decide.Decision, error) { return c.Resume(ctx) },
		"ack":    func() (decide.Decision, error) { return c.Ack(ctx) },
	} {
		if d, err := f(); err != nil || d.Action != decide.ActUpdate {
			t.Errorf("%s = %+v, %v", name, d, err)
		}
	}
	if cmds := h.ctl.commands(); len(cmds) != 4 || !strings.HasPrefix(cmds[0].By, "alice (") {
		t.Errorf("commands = %+v, want 4 by alice", cmds)
	}

	_, err = c.Switchover(ctx, "down", false)
	var ae *admin.Error
	if !errors.As(err, &ae) || !ae.Refused() || ae.Code != "switchover-refused" {
		t.Fatalf("refused switchover: err = %v, want a refused *admin.Error", err)
	}
	if want := "admin: switchover refused (switchover-refused): target down is down; use --force to override"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
}

func TestClientErrors(t *testing.T) {
	h := start(t, testToken)
	ctx := t.Context()

	wrong, err := admin.NewClient(h.url, "bad-token-xyz", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Pause(ctx)
	var ae *admin.Error
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Refused() || ae.Code != "unauthorized" {
		t.Errorf("wrong token: err = %v, want a 401 *admin.Error", err)
	}
	if strings.Contains(err.Error(), "bad-token-xyz") {
		t.Errorf("error repeats the token: %v", err)
	}

	h.ctl.setErr(errStore)
	if _, err := wrong.Status(ctx); !errors.As(err, &ae) || ae.Status != 503 || !strings.Contains(err.Error(), "store is closed") {
		t.Errorf("controller down: err = %v, want a 503 *admin.Error with the cause", err)
	}

	// A port nothing listens on: a transport error, not an *admin.Error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	gone, err := admin.NewClient("http://"+addr+"/", "", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.Status(ctx); err == nil || errors.As(err, &ae) || !strings.HasPrefix(err.Error(), "admin: status: ") {
		t.Errorf("nothing listening: err = %v, want a wrapped transport error", err)
	}

	// Something that is not esdr: a 404 without esdr's error shape still reads well.
	other, err := admin.NewClient(h.url+"/elsewhere", "", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Endpoint(ctx); !errors.As(err, &ae) || ae.Status != 404 {
		t.Errorf("wrong base path: err = %v, want a 404 *admin.Error", err)
	}
}

func TestNewClientValidates(t *testing.T) {
	for _, c := range []struct {
		url     string
		timeout time.Duration
	}{{"", time.Second}, {"ftp://host:1", time.Second}, {"http://", time.Second}, {"http://h:1", 0}, {"http://h:1\x7f", time.Second}} {
		if _, err := admin.NewClient(c.url, "", c.timeout); err == nil || !strings.HasPrefix(err.Error(), "admin: ") {
			t.Errorf("NewClient(%q, %v) = %v, want an admin: error", c.url, c.timeout, err)
		}
	}
}
