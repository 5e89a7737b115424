package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/admin"
)

// mirrorCtl is fakeCtl with the failback resync: it refuses east (active) and records
// the cluster it was asked to resync.
type mirrorCtl struct {
	fakeCtl
	resynced  []string
	restarted []admin.RestartRequest
	forgotten []string
}

func (m *mirrorCtl) ForgetMirror(_ context.Context, req admin.ForgetRequest) (admin.ForgetAnswer, error) {
	if req.Member == "esdr-a" {
		return admin.ForgetAnswer{}, &admin.RefusedError{Code: admin.CodeMemberAlive, Reason: "esdr member esdr-a is alive"}
	}
	m.forgotten = append(m.forgotten, req.Member)
	return admin.ForgetAnswer{Member: req.Member, Owed: map[string]uint64{"west": 3}}, nil
}

func (m *mirrorCtl) Resync(_ context.Context, to string) (admin.ResyncAnswer, error) {
	if to == "east" {
		return admin.ResyncAnswer{}, &admin.RefusedError{Code: "resync_active", Reason: "east is the active cluster"}
	}
	m.resynced = append(m.resynced, to)
	return admin.ResyncAnswer{Cluster: to, Pending: 12}, nil
}

func (m *mirrorCtl) Reapply(_ context.Context, by string) ([]admin.TargetResult, error) {
	return []admin.TargetResult{{Target: "route53:" + by}, {Target: "haproxy", Error: "socket refused"}}, nil
}

func (m *mirrorCtl) RestartMirror(_ context.Context, req admin.RestartRequest) (admin.RestartAnswer, error) {
	if req.Skip != 0 && req.Skip != 7 {
		return admin.RestartAnswer{}, &admin.RefusedError{Code: admin.CodeSkipMismatch, Reason: "replication to west stopped at seq 7"}
	}
	m.restarted = append(m.restarted, req)
	return admin.RestartAnswer{Cluster: "west", StoppedAt: 7, Skipped: req.Skip, From: 7}, nil
}

func (m *mirrorCtl) CompareCounts(_ context.Context, to, pattern string) (admin.CountComparison, error) {
	ic := admin.IndexCount{Index: "orders", Active: 5, Target: 4}
	return admin.CountComparison{Active: "east", Target: to, Pattern: pattern, Indices: []admin.IndexCount{ic}, Differ: []admin.IndexCount{ic}}, nil
}

// TestMirrorRoutes: resync, restart and reapply mutate, so they need the admin token; the count
// comparison is a read that fans out, so it needs a token too; a refusal is 409 with its code; a controller without mirror mode answers 409
// mirror_off; a bad body is 400.
func TestMirrorRoutes(t *testing.T) {
	ctl := &mirrorCtl{}
	url := serve(t, ctl)
	bearer := "Bearer " + testToken
	cases := []struct {
		name, method, path, auth, body string
		status                         int
		want                           string
	}{
		{"resync without a token", "POST", "/v1/mirror/resync", "", `{"to":"west"}`, 401, "missing bearer token"},
		{"resync with a wrong token", "POST", "/v1/mirror/resync", "Bearer nope", `{"to":"west"}`, 401, "unauthorized"},
		{"resync", "POST", "/v1/mirror/resync", bearer, `{"to":"west"}`, 200, `"pending": 12`},
		{"resync of the active cluster", "POST", "/v1/mirror/resync", bearer, `{"to":"east"}`, 409, "resync_active"},
		{"resync without to", "POST", "/v1/mirror/resync", bearer, `{}`, 400, "naming the cluster to resync"},
		{"resync with an unknown key", "POST", "/v1/mirror/resync", bearer, `{"to":"west","x":1}`, 400, "bad_request"},
		{"resync by GET", "GET", "/v1/mirror/resync", bearer, "", 405, "use POST"},
		{"counts without a token", "GET", "/v1/mirror/counts?to=west&index=ord*", "", "", 401, "missing bearer token"},
		{"counts without to", "GET", "/v1/mirror/counts", bearer, "", 400, "want ?to="},
		{"counts", "GET", "/v1/mirror/counts?to=west&index=ord*", bearer, "", 200, `"pattern": "ord*"`},
		{"restart without a token", "POST", "/v1/mirror/restart", "", `{}`, 401, "missing bearer token"},
		{"restart", "POST", "/v1/mirror/restart", bearer, "", 200, `"from": 7`},
		{"restart skipping the record it stopped at", "POST", "/v1/mirror/restart", bearer, `{"to":"west","skip":7,"by":"ops"}`, 200, `"skipped": 7`},
		{"restart skipping another record", "POST", "/v1/mirror/restart", bearer, `{"skip":6}`, 409, "skip_mismatch"},
		{"restart with a bad skip", "POST", "/v1/mirror/restart", bearer, `{"skip":"all"}`, 400, "bad_request"},
		{"restart by GET", "GET", "/v1/mirror/restart", bearer, "", 405, "use POST"},
		{"forget without a token", "POST", "/v1/mirror/forget", "", `{"member":"esdr-c"}`, 401, "missing bearer token"},
		{"forget a dead member", "POST", "/v1/mirror/forget", bearer, `{"member":"esdr-c","by":"ops"}`, 200, `"west": 3`},
		{"forget a live member", "POST", "/v1/mirror/forget", bearer, `{"member":"esdr-a"}`, 409, "member_alive"},
		{"forget naming no member", "POST", "/v1/mirror/forget", bearer, `{}`, 400, "not a fleet member's name"},
		{"forget a name with a slash (an etcd path)", "POST", "/v1/mirror/forget", bearer, `{"member":"../record"}`, 400, "without '/'"},
		{"forget a name too long", "POST", "/v1/mirror/forget", bearer, `{"member":"` + strings.Repeat("m", 300) + `"}`, 400, "1 to 253 characters"},
		{"reapply without a token", "POST", "/v1/reapply", "", "", 401, "missing bearer token"},
		{"reapply", "POST", "/v1/reapply", bearer, `{"by":"ops"}`, 200, `"target": "route53:ops"`},
		{"reapply without a body", "POST", "/v1/reapply", bearer, "", 200, `"error": "socket refused"`},
		{"reapply with a bad body", "POST", "/v1/reapply", bearer, `{"x":1}`, 400, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, body := do(t, c.method, url+c.path, c.auth, c.body)
			if res.StatusCode != c.status || !strings.Contains(body, c.want) {
				t.Errorf("HTTP %d %s, want %d with %q", res.StatusCode, body, c.status, c.want)
			}
		})
	}
	if len(ctl.resynced) != 1 || ctl.resynced[0] != "west" {
		t.Errorf("resynced %q, want west once", ctl.resynced)
	}
	if len(ctl.restarted) != 2 || ctl.restarted[1].By != "ops" || ctl.restarted[1].Skip != 7 || !strings.HasPrefix(ctl.restarted[0].By, "an operator (") {
		t.Errorf("restarted %+v, want an anonymous restart then ops skipping 7", ctl.restarted)
	}
	if len(ctl.forgotten) != 1 || ctl.forgotten[0] != "esdr-c" {
		t.Errorf("forgotten %q, want esdr-c once", ctl.forgotten)
	}
	off := serve(t, &fakeCtl{})
	if res, body := do(t, http.MethodPost, off+"/v1/mirror/restart", bearer, ""); res.StatusCode != 409 || !strings.Contains(body, "mirror_off") {
		t.Errorf("restart without mirror mode: HTTP %d %s", res.StatusCode, body)
	}
	if res, body := do(t, http.MethodGet, off+"/v1/mirror/counts?to=west", bearer, ""); res.StatusCode != 409 || !strings.Contains(body, "mirror_off") {
		t.Errorf("without mirror mode: HTTP %d %s", res.StatusCode, body)
	}
	if res, body := do(t, http.MethodPost, off+"/v1/reapply", "Bearer "+testToken, ""); res.StatusCode != 409 || !strings.Contains(body, "cannot_reapply") {
		t.Errorf("reapply on a controller that cannot: HTTP %d %s", res.StatusCode, body)
	}
}
