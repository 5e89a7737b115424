package elb

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// AWS answers a plain forward in both forms at once; each alone is the same forward.
func TestSameForwardReadsBothForms(t *testing.T) {
	tg := &Target{groups: map[string]string{"east": testEast, "west": testWest}}
	want := tg.action("east")
	both := types.Action{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(testEast), ForwardConfig: &types.ForwardActionConfig{
		TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(testEast), Weight: aws.Int32(1)}}}}
	if !sameForward([]types.Action{both}, want) {
		t.Error("AWS's answer to a plain forward is not the same forward")
	}
	if sameForward([]types.Action{both, both}, want) || sameForward(nil, want) || sameForward([]types.Action{tg.action("west")}, want) {
		t.Error("two actions, none, or the other group are the same forward")
	}

	tg.weights = true
	w := tg.action("west")
	if got := serving([]types.Action{w}); len(got) != 1 || got[0] != testWest {
		t.Errorf("weighted forward serves %q, want west's group alone", got)
	}
	stuck := tg.action("west")
	stuck.ForwardConfig.TargetGroupStickinessConfig = &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(300)}
	if sameForward([]types.Action{stuck}, w) {
		t.Error("a sticky weighted forward is the same as esdr's, which keeps clients on the old group")
	}
	if sameForward([]types.Action{both}, tg.action("east")) {
		t.Error("a plain forward is the same as the weighted one, which keeps every group attached")
	}
}

// A default action esdr would drop unseen by replacing the actions is refused;
// redirect and fixed-response are where traffic goes, and are replaced.
func TestReplaceable(t *testing.T) {
	l := types.Listener{ListenerArn: aws.String(testListener), DefaultActions: []types.Action{
		{Type: types.ActionTypeEnumAuthenticateOidc, Order: aws.Int32(1)}, {Type: types.ActionTypeEnumForward, Order: aws.Int32(2)}}}
	if err := replaceable(l); err == nil || !strings.HasPrefix(err.Error(), "elb: listener_arn: listener "+testListener+" has a default action authenticate-oidc") {
		t.Errorf("authenticating listener: %v", err)
	}
	l.DefaultActions = []types.Action{{Type: types.ActionTypeEnumFixedResponse}}
	if err := replaceable(l); err != nil {
		t.Errorf("fixed-response listener: %v", err)
	}
}
