package daemon

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/peers"
)

// TestELBTarget runs esdr with an elb target on moto (clusters faked, no JVM): a
// failover switches the listener to the standby's target group in one step, and after
// the listener is repointed behind esdr's back, esdr reapply (the admin API) puts it
// back.
func TestELBTarget(t *testing.T) {
	motoURL := peers.Moto(t, "../..")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	ctx := context.Background()
	lb, err := peers.NewMotoELB(ctx, motoURL, "application", "es", []string{"primary", "standby"})
	if err != nil {
		t.Fatal(err)
	}
	primary, standby := fakeCluster(t, "primary"), fakeCluster(t, "standby")
	yaml := fmt.Sprintf(`clusters:
  - {name: primary, nodes: [%s]}
  - {name: standby, nodes: [%s]}
health: {interval: 200ms, timeout: 200ms, checks: [{kind: http, path: /}]}
admin: {listen: 127.0.0.1:0, token: %s}
state: {path: state.db}
aws: {elb_endpoint: %s}
targets:
  elb:
    - listener_arn: %s
      target_groups: {primary: %s, standby: %s}
`, primary.URL, standby.URL, testToken, motoURL, lb.Listener, lb.TargetGroups["primary"], lb.TargetGroups["standby"])
	_, c := runDaemon(t, yaml, t.TempDir())
	forwardsTo := func(cluster string) bool {
		out, err := lb.Client.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{lb.Listener}})
		if err != nil || len(out.Listeners) != 1 || len(out.Listeners[0].DefaultActions) != 1 {
			return false
		}
		return aws.ToString(out.Listeners[0].DefaultActions[0].TargetGroupArn) == lb.TargetGroups[cluster]
	}
	waitFor(t, "the first decision, on the primary", func() bool {
		st, err := c.Status(ctx)
		return err == nil && st.State.Active == "primary" && st.State.Epoch == 1
	})
	primary.Close()
	waitFor(t, "a failover to the standby, its plan done", func() bool {
		st, err := c.Status(ctx)
		return err == nil && st.State.Epoch == 2 && st.Plan != nil && st.Plan.Status == "done"
	})
	if !forwardsTo("standby") {
		t.Fatal("after the failover the listener does not forward to the standby's target group")
	}

	_, err = lb.Client.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(lb.Listener),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(lb.TargetGroups["primary"])}}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Reapply(ctx)
	if err != nil || len(a.Targets) != 1 || a.Targets[0].Error != "" || !strings.HasPrefix(a.Targets[0].Target, "elb:listener/app/es/") {
		t.Fatalf("reapply: %+v %v", a, err)
	}
	if !forwardsTo("standby") {
		t.Fatal("after esdr reapply the listener does not forward to the standby's target group")
	}
	evs, err := c.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var switches []string
	for _, ev := range evs {
		if ev.Kind == state.EventActed && strings.HasPrefix(ev.Message, "switch elb:") {
			switches = append(switches, ev.Message)
		}
	}
	if len(switches) != 1 || !strings.Contains(switches[0], ": done") {
		t.Errorf("switch events %q, want one, done", switches)
	}
}
