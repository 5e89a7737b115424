package daemon

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestMirrorEvents: crossing the lag bound either way, and a replication stop, each make
// one event; nothing changes, no event; a stop after a restart is a new event.
func TestMirrorEvents(t *testing.T) {
	lag := map[string]uint64{}
	stops := map[string]error{}
	n := uint64(0) // stops so far
	stop := func(c, why string) { stops[c] = errors.New(why); n++ }
	e := &mirrorEvents{clusters: []string{"primary", "standby"}, bound: 10,
		pending: func(c string) uint64 { return lag[c] }, stopped: func(c string) (uint64, error) { return n, stops[c] },
		over: map[string]bool{}, logged: map[string]uint64{}}
	now := time.Unix(1800000000, 0)
	steps := []struct {
		name   string
		change func()
		want   []string // one substring per event, in order
	}{
		{"caught up", func() {}, nil},
		{"at the bound", func() { lag["standby"] = 10 }, nil},
		{"past the bound", func() { lag["standby"] = 11 }, []string{"standby lacks 11 journaled writes, more than mirror.max_lag_on_failover (10)"}},
		{"still past", func() { lag["standby"] = 500 }, nil},
		{"back within", func() { lag["standby"] = 3 }, []string{"standby caught up to 3 journaled writes behind"}},
		{"stopped", func() { stop("primary", "seq 7 refused") }, []string{"replication to primary STOPPED, a human must act (fix the cause, then esdr mirror restart): seq 7 refused"}},
		{"stopped once", func() {}, nil},
		{"restarted", func() {}, nil}, // the last stop's error stays; its count says whether it is new
		{"stopped again and restarted before the check", func() { stop("primary", "seq 7 refused") }, []string{"replication to primary STOPPED, a human must act (fix the cause, then esdr mirror restart): seq 7 refused"}},
	}
	for _, s := range steps {
		s.change()
		evs := e.check(now)
		if len(evs) != len(s.want) {
			t.Fatalf("%s: %d events %+v, want %d", s.name, len(evs), evs, len(s.want))
		}
		for i, w := range s.want {
			if !strings.Contains(evs[i].Message, w) || evs[i].Cluster == "" || !evs[i].At.Equal(now) {
				t.Errorf("%s: event %+v, want %q", s.name, evs[i], w)
			}
		}
	}
}
