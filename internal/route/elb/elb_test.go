package elb

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/act"
)

// TestSwitchOncePerTransition: on an ALB and an NLB in mode forward, and on an ALB in
// mode weights, the listener moves between the two target groups with exactly one
// ModifyListener per transition; a repeated switch reads the listener and changes
// nothing. Points follows.
func TestSwitchOncePerTransition(t *testing.T) {
	for _, tc := range []struct{ kind, mode string }{{"application", ModeForward}, {"network", ModeForward}, {"application", ModeWeights}} {
		t.Run(tc.kind+"-"+tc.mode, func(t *testing.T) {
			r := newRig(t, tc.kind, tc.mode)
			ctx := context.Background()
			if c, e, err := r.tg.Points(ctx); c != "east" || e != 0 || err != nil {
				t.Fatalf("Points before any switch: %q %d %v, want east", c, e, err)
			}
			type step struct {
				to       string
				modifies int // ModifyListener calls so far
			}
			steps := []step{{"west", 1}, {"west", 1}, {"east", 2}, {"east", 2}, {"west", 3}}
			if tc.mode == ModeWeights {
				// The listener starts as a plain forward to east: the first switch to
				// east rewrites it as the weighted forward.
				steps = []step{{"east", 1}, {"east", 1}, {"west", 2}, {"west", 2}, {"east", 3}, {"east", 3}, {"west", 4}}
			}
			for i, s := range steps {
				if err := r.tg.Apply(ctx, act.Switch{Epoch: uint64(i + 2), To: s.to, Reason: "test"}); err != nil {
					t.Fatalf("switch %d to %s: %v", i, s.to, err)
				}
				if got := r.calls.Get("ModifyListener"); got != s.modifies {
					t.Fatalf("after switch %d to %s: %d ModifyListener calls, want %d", i, s.to, got, s.modifies)
				}
				r.forwardsTo(t, s.to)
				if c, _, err := r.tg.Points(ctx); c != s.to || err != nil {
					t.Fatalf("Points after switch %d: %q %v, want %s", i, c, err, s.to)
				}
			}
		})
	}
}

// TestApplyRepairsDrift: a listener repointed behind esdr's back is put back by the
// next Apply (what esdr reapply runs), with one ModifyListener.
func TestApplyRepairsDrift(t *testing.T) {
	r := newRig(t, "application", ModeForward)
	ctx := context.Background()
	if err := r.tg.Apply(ctx, act.Switch{Epoch: 2, To: "west"}); err != nil {
		t.Fatal(err)
	}
	r.repoint(t, "east")
	if c, _, _ := r.tg.Points(ctx); c != "east" {
		t.Fatalf("Points after the drift: %q, want east", c)
	}
	if err := r.tg.Apply(ctx, act.Switch{Epoch: 2, To: "west"}); err != nil {
		t.Fatal(err)
	}
	r.forwardsTo(t, "west")
	if got := r.calls.Get("ModifyListener"); got != 2 {
		t.Errorf("%d ModifyListener calls, want 2 (the switch and the repair)", got)
	}
}

// TestWrongARNFails: a listener or target group that does not exist fails the switch
// with an error naming the key, and the listener is not modified.
func TestWrongARNFails(t *testing.T) {
	r := newRig(t, "application", ModeForward)
	ctx := context.Background()
	good := r.lb.TargetGroups["west"]
	bad := good[:strings.LastIndex(good, "/")+1] + "0000000000000000"

	tgs := map[string]string{"east": r.lb.TargetGroups["east"], "west": bad}
	wrongTG, err := New(r.tg.api, Config{ListenerARN: r.lb.Listener, TargetGroups: tgs}, clusters)
	if err != nil {
		t.Fatal(err)
	}
	err = wrongTG.Apply(ctx, act.Switch{Epoch: 2, To: "west"})
	if err == nil || !strings.HasPrefix(err.Error(), "elb: target_groups.west: target group "+bad+" not found") {
		t.Fatalf("wrong target group: %v", err)
	}

	listener := r.lb.Listener[:strings.LastIndex(r.lb.Listener, "/")+1] + "0000000000000000"
	wrongListener, err := New(r.tg.api, Config{ListenerARN: listener, TargetGroups: r.lb.TargetGroups}, clusters)
	if err != nil {
		t.Fatal(err)
	}
	err = wrongListener.Apply(ctx, act.Switch{Epoch: 2, To: "west"})
	if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("elb: listener_arn: listener %s not found in region us-east-1", listener)) {
		t.Fatalf("wrong listener: %v", err)
	}
	if _, _, err := wrongListener.Points(ctx); err == nil || !strings.Contains(err.Error(), "listener_arn: listener") {
		t.Fatalf("Points of a wrong listener: %v", err)
	}

	if n := r.calls.Get("ModifyListener"); n != 0 {
		t.Errorf("%d ModifyListener calls, want none", n)
	}
	r.forwardsTo(t, "east")
}
