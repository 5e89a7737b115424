package lambda

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/route/elb"
	"github.com/esdr/esdr/internal/route/route53"
	"github.com/esdr/esdr/testbed/peers"
)

// TestHandlerSwitchesListener runs the function's handler on moto (Route 53 and ELB),
// with clusters it does not fence and the alarm believed (ESDR_CONFIRM=false), so no
// cluster runs: an ALARM switches the record and then the listener to the standby; the
// same event again does nothing; and the same transition re-run, as after a crash
// between the plan and the marker, modifies the listener no second time.
func TestHandlerSwitchesListener(t *testing.T) {
	motoURL := peers.Moto(t, "../..")
	ctx := context.Background()
	lb, err := peers.NewMotoELB(ctx, motoURL, "network", "es", []string{"primary", "standby"})
	if err != nil {
		t.Fatal(err)
	}
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	rc, _ := route53.NewClients(awsCfg, route53.AWSConfig{Route53Endpoint: motoURL})
	zone, err := rc.CreateHostedZone(ctx, &r53.CreateHostedZoneInput{Name: aws.String("example.com."), CallerReference: aws.String(t.Name())})
	if err != nil {
		t.Fatal(err)
	}
	zoneID := aws.ToString(zone.HostedZone.Id)
	yaml := fmt.Sprintf(`admin: {listen: ""}
metrics: {enabled: false}
clusters:
  - {name: primary, nodes: ["http://10.0.1.10:9200"], fence: false}
  - {name: standby, nodes: ["http://10.0.2.10:9200"], fence: false}
targets:
  route53:
    - {mode: record, hosted_zone_id: %s, name: es.example.com, type: CNAME, ttl: 30,
       values: {primary: [primary.example.net], standby: [standby.example.net]}}
  elb:
    - listener_arn: %s
      target_groups: {primary: %s, standby: %s}
`, zoneID, lb.Listener, lb.TargetGroups["primary"], lb.TargetGroups["standby"])
	cfg, err := FromEnv(env(map[string]string{EnvConfig: yaml, EnvAlarm: "esdr-primary-health", EnvConfirm: "false"}))
	if err != nil {
		t.Fatal(err)
	}
	n := &peers.Calls{}
	elbClient := func(region string) *elbv2.Client {
		return elbv2.New(elb.NewClient(awsCfg, region, motoURL).Options(), func(o *elbv2.Options) { o.APIOptions = append(o.APIOptions, n.Middleware) })
	}
	h, err := New(cfg, Clients{Route53: rc, ELB: elbClient}, nil)
	if err != nil {
		t.Fatal(err)
	}
	alarm := read(t, "testdata/alarm-action.json")
	check := func(when string, modifies int) {
		t.Helper()
		out, err := lb.Client.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{lb.Listener}})
		if err != nil || aws.ToString(out.Listeners[0].DefaultActions[0].TargetGroupArn) != lb.TargetGroups["standby"] {
			t.Fatalf("%s: the listener does not forward to the standby's target group: %v", when, err)
		}
		if got := n.Get("ModifyListener"); got != modifies {
			t.Fatalf("%s: %d ModifyListener calls, want %d", when, got, modifies)
		}
		sets, err := rc.ListResourceRecordSets(ctx, &r53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
			StartRecordName: aws.String("es.example.com."), StartRecordType: r53types.RRTypeCname, MaxItems: aws.Int32(1)})
		if err != nil || len(sets.ResourceRecordSets) != 1 || aws.ToString(sets.ResourceRecordSets[0].ResourceRecords[0].Value) != "standby.example.net." {
			t.Fatalf("%s: the record does not point at the standby: %+v %v", when, sets, err)
		}
	}

	res, err := h.Invoke(ctx, alarm)
	if err != nil || !res.Switched || res.To != "standby" || len(res.Steps) != 4 ||
		res.Steps[2] != "switch route53:es.example.com.: done" || !strings.HasPrefix(res.Steps[3], "switch elb:listener/") || !strings.HasSuffix(res.Steps[3], ": done") {
		t.Fatalf("ALARM: %+v %v; want switched to standby, the record then the listener", res, err)
	}
	check("after the ALARM", 1)

	if res, err = h.Invoke(ctx, alarm); err != nil || res.Switched {
		t.Fatalf("the same ALARM again: %+v %v; want nothing done", res, err)
	}
	check("after the same ALARM again", 1)

	// A crash after the plan and before the marker is written leaves the old marker:
	// the next event runs the same transition again.
	if err := h.marker.store(ctx, decide.State{Active: "primary", Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	if res, err = h.Invoke(ctx, alarm); err != nil || !res.Switched || res.Epoch != 2 {
		t.Fatalf("the transition re-run: %+v %v", res, err)
	}
	check("after the transition re-run", 1)
}
