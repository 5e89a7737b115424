package haproxy

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/act"
)

func TestApplyMovesTrafficToTheNewCluster(t *testing.T) {
	names := []string{"east1", "east2", "west1", "west2"}
	nodes := []*node{newNode(t), newNode(t), newNode(t), newNode(t)}
	p := startHAProxy(t, names, nodes)
	tg, err := New(Config{
		Socket:  "unix:" + p.Socket,
		Backend: "es",
		Servers: map[string][]string{"east": {"east1", "east2"}, "west": {"west1", "west2"}},
	}, []string{"east", "west"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sw := act.Switch{Epoch: 2, From: "east", To: "west"}
	for range 2 { // the second Apply must find everything in place
		if err := tg.Apply(ctx, sw); err != nil {
			t.Fatal(err)
		}
	}
	states, err := tg.rt.serverStates(ctx, "es")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"east1", "east2"} {
		if states[s]&admFMaint == 0 {
			t.Errorf("%s admin state %#x, want maint", s, states[s])
		}
	}
	for _, s := range []string{"west1", "west2"} {
		if states[s] != 0 {
			t.Errorf("%s admin state %#x, want ready (0)", s, states[s])
		}
	}

	client := &http.Client{}
	for range 20 {
		resp, err := client.Get("http://" + p.Frontend + "/_cluster/health")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("through haproxy: %s", resp.Status)
		}
	}
	if e := nodes[0].hits.Load() + nodes[1].hits.Load(); e != 0 {
		t.Errorf("old cluster got %d requests after the switch", e)
	}
	if w := nodes[2].hits.Load() + nodes[3].hits.Load(); w != 20 {
		t.Errorf("new cluster got %d of 20 requests", w)
	}

	// And back: the returning cluster's servers leave maintenance.
	if err := tg.Apply(ctx, act.Switch{Epoch: 3, From: "west", To: "east"}); err != nil {
		t.Fatal(err)
	}
}

func TestApplyReportsUnknownServer(t *testing.T) {
	nodes := []*node{newNode(t), newNode(t)}
	p := startHAProxy(t, []string{"east1", "west1"}, nodes)
	tg, err := New(Config{
		Socket:  p.Socket,
		Backend: "es",
		Servers: map[string][]string{"east": {"east1"}, "west": {"west1", "west9"}},
	}, []string{"east", "west"})
	if err != nil {
		t.Fatal(err)
	}
	err = tg.Apply(context.Background(), act.Switch{Epoch: 1, To: "west"})
	if err == nil || !strings.Contains(err.Error(), "west9") {
		t.Fatalf("err = %v, want one naming the missing server west9", err)
	}
}

func TestParseServerStates(t *testing.T) {
	out := "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n" +
		"3 es 1 east1 127.0.0.1 0 1 1\n3 es 2 west1 127.0.0.1 2 0 1\n\n"
	got, err := parseServerStates(out)
	if err != nil || got["east1"] != 1 || got["west1"] != 0 || len(got) != 2 {
		t.Fatalf("parse = %v, %v", got, err)
	}
	if _, err := parseServerStates("Can't find backend.\n"); err == nil || !strings.Contains(err.Error(), "find backend") {
		t.Fatalf("missing backend: err = %v", err)
	}
}

func TestCheck(t *testing.T) {
	ps := Config{Socket: "localhost:9999", Backend: "es", Servers: map[string][]string{"east": {"a"}, "north": {"a"}}}.
		Check([]string{"east", "west"})
	want := []string{
		`socket: "localhost:9999" is not allowed`,
		"servers.west: no servers",
		"servers.north: unknown cluster",
		`servers.north[0]: server "a" is already listed for cluster east`,
	}
	if len(ps) != len(want) {
		t.Fatalf("problems %q, want %d", ps, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(ps[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, ps[i], w)
		}
	}
}
