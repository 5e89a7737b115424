package decide_test

import (
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// ExampleDecide walks three rounds of the decision: esdr starts on the preferred cluster,
// fails over when it goes down, and, the primary back, is held from failing back by the
// hold-down. Time is an argument, so the story replays exactly: no clock, no I/O.
func ExampleDecide() {
	p := decide.Policy{
		Clusters:      []string{"primary", "standby"},
		AutoFailover:  true,
		HoldDown:      time.Hour,
		Failback:      decide.FailbackAuto,
		FailbackAfter: time.Minute,
	}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	up := func(since time.Time) decide.Observations {
		return decide.Observations{
			"primary": {Cluster: "primary", Verdict: health.VerdictUp, Since: since},
			"standby": {Cluster: "standby", Verdict: health.VerdictUp, Since: t0},
		}
	}
	show := func(s decide.State, d decide.Decision) {
		fmt.Printf("%s@%d %s %s: %s\n", s.Active, s.Epoch, d.Action, d.Code, d.Reason)
	}

	s, d := decide.Decide(decide.State{}, up(t0), nil, t0, p)
	show(s, d)
	down := t0.Add(10 * time.Second)
	o := up(t0)
	o["primary"] = health.Observation{Cluster: "primary", Verdict: health.VerdictDown, Since: down,
		Last: health.KindUnreachable, Detail: "connection refused by every node", ConsecutiveFailures: 3}
	s, d = decide.Decide(s, o, nil, down, p)
	show(s, d)
	back := down.Add(time.Minute)
	s, d = decide.Decide(s, up(back), nil, back.Add(2*time.Minute), p)
	show(s, d)
	// Output:
	// primary@1 update starting: first start: primary is the preferred cluster
	// standby@2 failover active-down: active primary down (unreachable: connection refused by every node, 3 consecutive failures); standby is up
	// standby@2 none hold-down: failback to primary suppressed until 2026-01-01T13:00:10Z; run esdr ack to allow it
}
