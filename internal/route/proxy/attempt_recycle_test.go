package proxy

import (
	"context"
	"testing"
	"time"
)

// TestWhichEndedAttemptsAreKeptForTheNext: only an attempt nothing else can reach any
// more is recycled.
func TestWhichEndedAttemptsAreKeptForTheNext(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*result)
		want  bool
	}{
		{"an attempt of the own client that ended on its own is kept", func(*result) {}, true},
		{"an attempt retire took off the list is not: its retired call may still come", func(res *result) {
			l := &inflight{}
			l.watch(res)
			l.retire() // a read: retired cuts it at once
		}, false},
		{"an attempt with a grace timer is not: the timer may still run", func(res *result) {
			res.grace.Store(time.AfterFunc(time.Hour, func() {}))
		}, false},
		{"an attempt through net/http's Transport is not: it may call the trace hooks later", func(res *result) {
			res.actx, res.cancel = context.WithCancelCause(context.Background())
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := &result{k: kindRead}
			c.setup(res)
			if got := res.reusable(); got != c.want {
				t.Errorf("reusable = %v, want %v", got, c.want)
			}
			if tm := res.grace.Load(); tm != nil {
				tm.Stop()
			}
			if res.cancel != nil {
				res.cancel(nil)
			}
		})
	}
}
