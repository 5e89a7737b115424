package admin_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
)

type call struct {
	name, method, path, auth, body string
	status                         int
	code                           string // error code, for error answers
	contains                       string // a substring of the answer
	header                         [2]string
}

func TestRoutes(t *testing.T) {
	h := start(t, testToken)
	bearer := "Bearer " + testToken
	big := `{"to":"` + strings.Repeat("x", 70<<10) + `"}`
	calls := []call{
		{name: "status", method: "GET", path: "/v1/status", status: 200, contains: `"active": "east"`},
		{name: "status head", method: "HEAD", path: "/v1/status", status: 200},
		{name: "endpoint", method: "GET", path: "/v1/endpoint", status: 200, contains: `"epoch": 3`},
		{name: "events", method: "GET", path: "/v1/events?after=5&limit=2", status: 200, contains: `"seq": 6`},
		{name: "events bad after", method: "GET", path: "/v1/events?after=-1", status: 400, code: "bad_request", contains: "after: want a non-negative integer"},
		{name: "events zero limit", method: "GET", path: "/v1/events?limit=0", status: 400, code: "bad_request", contains: "limit: want an integer from 1 to 1000"},
		{name: "events huge limit", method: "GET", path: "/v1/events?limit=5000", status: 400, code: "bad_request"},
		{name: "healthz", method: "GET", path: "/healthz", status: 200, contains: `"ok"`},
		{name: "metrics", method: "GET", path: "/metrics", status: 200, contains: "esdr_test_gauge 42"},
		{name: "unknown path", method: "GET", path: "/v2/status", status: 404, code: "not_found"},
		{name: "post to a read", method: "POST", path: "/v1/status", auth: bearer, status: 405, code: "method_not_allowed", header: [2]string{"Allow", "GET, HEAD"}},
		{name: "get a command", method: "GET", path: "/v1/pause", status: 405, code: "method_not_allowed", header: [2]string{"Allow", "POST"}},
		{name: "switchover", method: "POST", path: "/v1/switchover", auth: bearer, body: `{"to":"west"}`, status: 200, contains: `"action": "switchover"`},
		{name: "switchover forced", method: "POST", path: "/v1/switchover", auth: bearer, body: `{"to":"down","force":true,"by":"alice"}`, status: 200, contains: `"to": "down"`},
		{name: "switchover refused", method: "POST", path: "/v1/switchover", auth: bearer, body: `{"to":"down"}`, status: 409, code: "switchover-refused", contains: "use --force to override"},
		{name: "no token", method: "POST", path: "/v1/switchover", body: `{"to":"west"}`, status: 401, code: "unauthorized", header: [2]string{"WWW-Authenticate", `Bearer realm="esdr"`}},
		{name: "wrong token", method: "POST", path: "/v1/pause", auth: "Bearer nope", status: 401, code: "unauthorized", header: [2]string{"WWW-Authenticate", `Bearer realm="esdr"`}},
		{name: "token as basic", method: "POST", path: "/v1/pause", auth: "Basic " + testToken, status: 401, code: "unauthorized"},
		{name: "token prefix", method: "POST", path: "/v1/pause", auth: bearer[:len(bearer)-1], status: 401, code: "unauthorized"},
		{name: "bad json", method: "POST", path: "/v1/switchover", auth: bearer, body: `{"to":`, status: 400, code: "bad_request"},
		{name: "unknown field", method: "POST", path: "/v1/switchover", auth: bearer, body: `{"to":"west","forse":true}`, status: 400, code: "bad_request", contains: "unknown field"},
		{name: "two objects", method: "POST", path: "/v1/switchover", auth: bearer, body: `{"to":"west"}{"to":"east"}`, status: 400, code: "bad_request", contains: "data after the JSON object"},
		{name: "trailing garbage", method: "POST", path: "/v1/pause", auth: bearer, body: `{} x`, status: 400, code: "bad_request", contains: "data after the JSON object"},
		{name: "two objects", method: "POST", path: "/v1/switchover", auth: bearer, body: `{"to":"west"}{}`, status: 400, code: "bad_request"},
		{name: "missing to", method: "POST", path: "/v1/switchover", auth: bearer, body: `{}`, status: 400, code: "bad_request", contains: "to: required, want the name of a configured cluster"},
		{name: "to on pause", method: "POST", path: "/v1/pause", auth: bearer, body: `{"to":"west"}`, status: 400, code: "bad_request"},
		{name: "too large", method: "POST", path: "/v1/switchover", auth: bearer, body: big, status: 413, code: "too_large"},
		{name: "pause", method: "POST", path: "/v1/pause", auth: bearer, status: 200, contains: `"code": "pause"`},
		{name: "resume", method: "POST", path: "/v1/resume", auth: "bearer " + testToken, body: `{}`, status: 200, contains: `"code": "resume"`},
		{name: "ack", method: "POST", path: "/v1/ack", auth: bearer, body: `{"by":"bob"}`, status: 200, contains: `"code": "ack"`},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, h.url+c.path, c.auth, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, c.status, body)
			}
			if c.code != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != c.code || e.Error.Message == "" {
					t.Errorf("error body %s: want code %q and a message (%v)", body, c.code, err)
				}
			}
			if !strings.Contains(body, c.contains) {
				t.Errorf("body %s: want it to contain %q", body, c.contains)
			}
			if c.header[0] != "" && resp.Header.Get(c.header[0]) != c.header[1] {
				t.Errorf("%s = %q, want %q", c.header[0], resp.Header.Get(c.header[0]), c.header[1])
			}
		})
	}

	want := []decide.Command{
		{Kind: decide.CmdSwitchover, To: "west"},
		{Kind: decide.CmdSwitchover, To: "down", Force: true, By: "alice"},
		{Kind: decide.CmdSwitchover, To: "down"},
		{Kind: decide.CmdPause}, {Kind: decide.CmdResume}, {Kind: decide.CmdAck, By: "bob"},
	}
	got := h.ctl.commands()
	if len(got) != len(want) {
		t.Fatalf("controller got %d commands, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		by := g.By
		g.By = ""
		w := want[i]
		if g.Kind != w.Kind || g.To != w.To || g.Force != w.Force || !strings.HasPrefix(by, w.By) || !strings.Contains(by, "127.0.0.1") {
			t.Errorf("command %d = %+v (by %q), want %+v", i, g, by, w)
		}
	}
	if h.ctl.after != 5 || h.ctl.limit != 2 {
		t.Errorf("events asked after=%d limit=%d, want 5 and 2", h.ctl.after, h.ctl.limit)
	}

	logs := h.logs.String()
	if strings.Contains(logs, testToken) {
		t.Errorf("the token appears in the logs:\n%s", logs)
	}
	for _, want := range []string{`"outcome":"unauthorized"`, `"outcome":"refused"`, `"outcome":"switchover"`, `"outcome":"too_large"`, `"path":"/v1/ack"`, `"remote":"127.0.0.1:`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestControllerErrorIs503(t *testing.T) {
	h := start(t, testToken)
	h.ctl.setErr(errStore)
	for _, p := range [][2]string{{"GET", "/v1/status"}, {"GET", "/v1/endpoint"}, {"GET", "/v1/events"}, {"POST", "/v1/ack"}} {
		resp, body := do(t, p[0], h.url+p[1], "Bearer "+testToken, "")
		if resp.StatusCode != 503 || !strings.Contains(body, `"unavailable"`) || !strings.Contains(body, "store is closed") {
			t.Errorf("%s %s: %d %s, want 503 unavailable with the cause", p[0], p[1], resp.StatusCode, body)
		}
	}
}

func TestACommandAFollowerRefusesIs409NamingTheLeader(t *testing.T) {
	h := start(t, testToken)
	h.ctl.setErr(&admin.RefusedError{Code: "not_leader", Reason: "fleet: this member (esdr-a) does not lead; send switchover to the leader esdr-b"})
	resp, body := do(t, "POST", h.url+"/v1/switchover", "Bearer "+testToken, `{"to":"west"}`)
	if resp.StatusCode != 409 || !strings.Contains(body, `"not_leader"`) || !strings.Contains(body, "send switchover to the leader esdr-b") {
		t.Errorf("switchover on a follower: %d %s, want 409 not_leader naming the leader", resp.StatusCode, body)
	}
}

func TestCommandsDisabledWithoutToken(t *testing.T) {
	h := start(t, "")
	resp, body := do(t, "POST", h.url+"/v1/pause", "Bearer ", "")
	if resp.StatusCode != 403 || !strings.Contains(body, "commands_disabled") {
		t.Errorf("pause without a configured token: %d %s, want 403 commands_disabled", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", h.url+"/v1/status", "", ""); resp.StatusCode != 200 {
		t.Errorf("status without a configured token: %d, want 200", resp.StatusCode)
	}
	if len(h.ctl.commands()) != 0 {
		t.Error("a command reached the controller")
	}
}

func TestListenErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := admin.New(admin.Config{Listen: ln.Addr().String()}, &fakeCtl{}, nil, nil); err == nil {
		t.Fatal("New without a gatherer succeeded")
	}
	srv, err := admin.New(admin.Config{Listen: ln.Addr().String()}, &fakeCtl{}, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "admin: listen") {
		t.Errorf("Run on a taken port = %v, want an admin: listen error", err)
	}
	for _, bad := range []string{"", "9310", "localhost"} {
		if _, err := admin.New(admin.Config{Listen: bad}, &fakeCtl{}, prometheus.NewRegistry(), nil); err == nil {
			t.Errorf("New with listen %q succeeded", bad)
		}
	}
}

func do(t *testing.T, method, url, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
