package bootstrap

import (
	"maps"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

func TestParseOps(t *testing.T) {
	body := []byte(`{"indices":{
	  "logs":{"shards":{
	    "0":[{"routing":{"primary":true},"seq_no":{"max_seq_no":9}},{"routing":{"primary":false},"seq_no":{"max_seq_no":12}}],
	    "1":[{"routing":{"primary":true},"seq_no":{"max_seq_no":4}}]}},
	  "empty":{"shards":{"0":[{"routing":{"primary":true},"seq_no":{"max_seq_no":-1}}]}},
	  "unassigned":{"shards":{"0":[{"routing":{"primary":true}}]}},
	  ".kibana_1":{"shards":{"0":[{"routing":{"primary":true},"seq_no":{"max_seq_no":99}}]}}}}`)
	got, err := parseOps(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"logs": 15, "empty": 0, "unassigned": 0}
	if !maps.Equal(got, want) {
		t.Fatalf("ops %v, want %v", got, want)
	}
	// A cluster without indices answers {} to a filter_path that matches nothing.
	if got, err := parseOps([]byte(`{}`)); err != nil || len(got) != 0 {
		t.Fatalf("empty answer: %v %v", got, err)
	}
	if _, err := parseOps([]byte(`<html>`)); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestInitialIsAboveRememberedEpochs(t *testing.T) {
	now := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	s, ev := Initial("standby", Verdict{Findings: []string{"target etcd:/k points at standby"}, Epoch: 3}, now)
	if s.Active != "standby" || s.Epoch != 3 || !s.ActiveSince.Equal(now) || !s.Initialized() {
		t.Fatalf("state %+v", s)
	}
	if ev.Code != decide.CodeBootstrap || ev.To != "standby" || ev.Epoch != 3 || ev.Message == "" {
		t.Fatalf("event %+v", ev)
	}
	if _, ok := decide.Catalogue[ev.Code]; !ok {
		t.Fatalf("code %s missing from the catalogue", ev.Code)
	}
}
