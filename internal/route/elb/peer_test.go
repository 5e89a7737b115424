package elb

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/esdr/esdr/testbed/peers"
)

// moto is shared by the package's tests and reset before each; TestMain stops it.
var moto = peers.SharedMoto{RepoRoot: "../../.."}

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

var clusters = []string{"east", "west"}

// rigs numbers the load balancers made on the shared moto: each rig's names are its own,
// so that state a reset left behind cannot collide with them (a run once failed with
// DuplicateTargetGroupName right after a reset).
var rigs atomic.Int32

// rig is a load balancer on moto whose listener forwards to east's target group, and a
// target on it through a client whose calls are counted.
type rig struct {
	lb    peers.MotoELB
	tg    *Target
	calls *peers.Calls
}

func newRig(t *testing.T, kind, mode string) rig {
	t.Helper()
	url := moto.URL(t)
	lb, err := peers.NewMotoELB(context.Background(), url, kind, fmt.Sprintf("es%d", rigs.Add(1)), clusters)
	if err != nil {
		t.Fatal(err)
	}
	c := Config{ListenerARN: lb.Listener, TargetGroups: lb.TargetGroups, Mode: mode}
	cfg := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	n := &peers.Calls{}
	api := elbv2.New(NewClient(cfg, c.Region(), url).Options(), func(o *elbv2.Options) { o.APIOptions = append(o.APIOptions, n.Middleware) })
	tg, err := New(api, c, clusters)
	if err != nil {
		t.Fatal(err)
	}
	return rig{lb: lb, tg: tg, calls: n}
}

// defaultActions reads the listener's default actions through moto's own client, not
// the target's.
func (r rig) defaultActions(t *testing.T) []types.Action {
	t.Helper()
	out, err := r.lb.Client.DescribeListeners(context.Background(), &elbv2.DescribeListenersInput{ListenerArns: []string{r.lb.Listener}})
	if err != nil || len(out.Listeners) != 1 {
		t.Fatalf("describe listener: %v", err)
	}
	return out.Listeners[0].DefaultActions
}

// forwardsTo checks that the listener sends all traffic to cluster's target group: the
// only one with a positive weight, and in mode weights every other group at weight 0.
func (r rig) forwardsTo(t *testing.T, cluster string) {
	t.Helper()
	as := r.defaultActions(t)
	if got := serving(as); len(got) != 1 || got[0] != r.lb.TargetGroups[cluster] {
		t.Fatalf("listener forwards %s, want cluster %s's target group alone", describeActions(as), cluster)
	}
	if r.tg.weights {
		w := weights(as[0])
		for cl, arn := range r.lb.TargetGroups {
			if want := map[bool]int32{true: 1}[cl == cluster]; w[arn] != want || len(w) != len(clusters) || sticky(as[0]) {
				t.Fatalf("listener forwards %s, want weight %d on %s's group, every group listed, not sticky", describeActions(as), want, cl)
			}
		}
	}
}

// repoint changes the listener behind esdr's back, as a person or a stack update would.
func (r rig) repoint(t *testing.T, cluster string) {
	t.Helper()
	_, err := r.lb.Client.ModifyListener(context.Background(), &elbv2.ModifyListenerInput{ListenerArn: aws.String(r.lb.Listener),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(r.lb.TargetGroups[cluster])}}})
	if err != nil {
		t.Fatal(err)
	}
}
