package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/route/route53"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/peers"
)

// TestCrashMidPlanResumes kills esdr -9 while the fence step of a failover plan is in
// flight (the old primary hangs, so the fence attempt waits for its timeout), restarts it,
// and checks the plan completes with every real target — etcd, HAProxy, Route 53 and an
// ELB listener on moto — switched exactly once; then that the old primary is fenced as
// soon as it answers again.
func TestCrashMidPlanResumes(t *testing.T) {
	p := clusters(t, "opensearch2")
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	etcdURL := peers.Etcd(t)
	var servers []peers.Server
	for _, n := range p.primary.Nodes {
		servers = append(servers, peers.Server{Name: n.Name, Addr: strings.TrimPrefix(n.URL(), "http://")})
	}
	sb := p.standby.Nodes[0]
	servers = append(servers, peers.Server{Name: sb.Name, Addr: strings.TrimPrefix(sb.URL(), "http://"), Disabled: true})
	hap := peers.StartHAProxy(t, servers)
	motoURL := peers.Moto(t, root)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	zoneID := createZone(t, motoURL)
	lb, err := peers.NewMotoELB(context.Background(), motoURL, "application", "es", []string{"primary", "standby"})
	if err != nil {
		t.Fatal(err)
	}

	s := defaults()
	s.extra = fmt.Sprintf(`act:
  step_timeout: 3s
  fence_timeout: 3s
  step_attempts: 1
aws:
  region: us-east-1
  route53_endpoint: %s
  cloudwatch_endpoint: %s
  cloudwatch_json: true
  elb_endpoint: %s
publish_health:
  cloudwatch: true
  interval: 10s
targets:
  route53:
    - mode: record
      hosted_zone_id: %s
      name: es.example.com
      type: CNAME
      ttl: 30
      values: {primary: [primary.example.net], standby: [standby.example.net]}
  elb:
    - listener_arn: %s
      target_groups: {primary: %s, standby: %s}
  etcd:
    - endpoints: [%s]
      key: /esdr/active
  haproxy:
    - socket: %s
      backend: es
      servers: {primary: [%s], standby: [%s]}
`, motoURL, motoURL, motoURL, zoneID, lb.Listener, lb.TargetGroups["primary"], lb.TargetGroups["standby"], etcdURL, hap.Socket, p.primary.Nodes[0].Name+", "+p.primary.Nodes[1].Name+", "+p.primary.Nodes[2].Name, sb.Name)
	e := startSettled(t, p, s)

	if err := p.primary.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.primary.Resume() })
	e.eventually("the fence step in flight", detectBound, func() bool {
		st := e.status()
		return st.Plan != nil && st.Plan.Epoch == 2 && stepStatus(st.Plan, act.StepFence) == act.StatusRunning
	})
	e.Kill()
	e.StartT(t)
	e.eventually("the resumed plan done", detectBound, func() bool {
		st := e.status()
		return st.Plan != nil && st.Plan.Epoch == 2 && st.Plan.Status == act.StatusDone
	})
	if st := e.status(); st.State.Active != "standby" || st.State.Epoch != 2 || len(st.PendingFences) != 1 {
		t.Fatalf("after resume: %s@%d, pending fences %v", st.State.Active, st.State.Epoch, st.PendingFences)
	}
	switches := map[string]int{}
	for _, ev := range e.events() {
		if ev.Kind == state.EventActed && strings.HasPrefix(ev.Message, "switch ") && strings.Contains(ev.Message, ": done") {
			switches[strings.Fields(ev.Message)[1]]++
		}
	}
	elbName := "elb:listener/" + lb.Listener[strings.Index(lb.Listener, ":listener/")+len(":listener/"):] + ":"
	for _, name := range []string{"route53:es.example.com.:", elbName, "etcd:/esdr/active:", "haproxy:es:"} {
		if switches[name] != 1 {
			t.Errorf("target %s switched %d times, want 1 (all: %v)", strings.TrimSuffix(name, ":"), switches[name], switches)
		}
	}

	// The peers' own view.
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{etcdURL}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	kv, err := cli.Get(context.Background(), "/esdr/active")
	if err != nil || len(kv.Kvs) != 1 {
		t.Fatalf("etcd key: %v %v", kv, err)
	}
	var ep struct {
		Cluster string `json:"cluster"`
		Epoch   uint64 `json:"epoch"`
	}
	_ = json.Unmarshal(kv.Kvs[0].Value, &ep)
	if ep.Cluster != "standby" || ep.Epoch != 2 || kv.Kvs[0].Version != 1 {
		t.Fatalf("etcd key = %s (version %d), want standby at epoch 2 written once", kv.Kvs[0].Value, kv.Kvs[0].Version)
	}
	checkHAProxyServes(t, hap, sb.Name)
	if got := recordValue(t, motoURL, zoneID, "es.example.com.", r53types.RRTypeCname); strings.TrimSuffix(got, ".") != "standby.example.net" {
		t.Errorf("route53 record = %q, want standby.example.net", got)
	}
	if got := listenerTargetGroup(t, lb); got != lb.TargetGroups["standby"] {
		t.Errorf("elb listener forwards to %q, want the standby's target group", got)
	}

	// The old primary comes back: fenced within a few probe intervals, before anything
	// esdr drives points at it.
	if err := p.primary.Resume(); err != nil {
		t.Fatal(err)
	}
	e.eventually("the deferred fence applied", detectBound, func() bool { return len(e.status().PendingFences) == 0 })
	status, body, err := esOf(t, p.primary).Do(context.Background(), http.MethodPut, "/fenced/_doc/1", strings.NewReader(`{"x":1}`))
	if err != nil || status != http.StatusForbidden || !strings.Contains(string(body), "cluster_block_exception") {
		t.Fatalf("index on the fenced old primary: %d %s %v, want 403 cluster_block_exception", status, body, err)
	}

	// esdr's verdicts reach CloudWatch, for a CLOUDWATCH_METRIC Route 53 health check.
	e.eventually("esdr/ClusterHealthy in CloudWatch", 30*time.Second, func() bool {
		return publishedClusters(t, motoURL) >= 2
	})

	// HAProxy reloaded, its runtime server states lost (here: set back by hand), and the
	// listener repointed at the primary's target group behind esdr's back: esdr reapply
	// points both at the active cluster again, and leaves the etcd key, which is right,
	// unwritten.
	for _, n := range p.primary.Nodes {
		hap.Command(t, "set server es/"+n.Name+" state ready")
	}
	hap.Command(t, "set server es/"+sb.Name+" state maint")
	if len(haproxyMismatches(t, hap, sb.Name)) == 0 {
		t.Fatal("setting HAProxy's servers by hand changed nothing: the reapply check below would prove nothing")
	}
	if _, err := lb.Client.ModifyListener(context.Background(), &elbv2.ModifyListenerInput{ListenerArn: aws.String(lb.Listener),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(lb.TargetGroups["primary"])}}}); err != nil {
		t.Fatal(err)
	}
	if out, code := e.cli("reapply"); code != 0 || !strings.Contains(out, "target haproxy:es: points at the active cluster") ||
		!strings.Contains(out, "target "+strings.TrimSuffix(elbName, ":")+": points at the active cluster") {
		t.Fatalf("esdr reapply: exit %d\n%s", code, out)
	}
	checkHAProxyServes(t, hap, sb.Name)
	if got := listenerTargetGroup(t, lb); got != lb.TargetGroups["standby"] {
		t.Errorf("after esdr reapply the elb listener forwards to %q, want the standby's target group", got)
	}
	if kv, err := cli.Get(context.Background(), "/esdr/active"); err != nil || len(kv.Kvs) != 1 || kv.Kvs[0].Version != 1 {
		t.Errorf("etcd key after reapply: %v %v, want still written once", kv, err)
	}
}

// checkHAProxyServes checks backend es in HAProxy's own view: server active ready, every
// other server in maintenance set through the runtime API.
func checkHAProxyServes(t *testing.T, hap peers.HAProxy, active string) {
	t.Helper()
	for _, m := range haproxyMismatches(t, hap, active) {
		t.Error(m)
	}
}

// haproxyMismatches lists how backend es differs from serving active alone.
func haproxyMismatches(t *testing.T, hap peers.HAProxy, active string) []string {
	t.Helper()
	var out []string
	states := hap.Command(t, "show servers state es")
	for _, line := range strings.Split(states, "\n") {
		f := strings.Fields(line)
		if len(f) < 7 || f[0] == "#" {
			continue
		}
		// srv_admin_state bit 0x01 is maintenance forced through the runtime API (0x04,
		// "disabled" in the configuration, stays set once a server is readied).
		name, admin := f[3], f[6]
		bits, _ := strconv.Atoi(admin)
		inMaint := bits&1 != 0
		if wantMaint := name != active; inMaint != wantMaint || (!wantMaint && f[5] != "2") {
			out = append(out, fmt.Sprintf("haproxy server %s admin state %s, want maint=%v\n%s", name, admin, wantMaint, states))
		}
	}
	return out
}

// publishedClusters counts the clusters CloudWatch (moto) has esdr/ClusterHealthy for.
func publishedClusters(t *testing.T, motoURL string) int {
	t.Helper()
	cfg, err := route53.LoadAWS(context.Background(), route53.AWSConfig{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, cw := route53.NewClients(cfg, route53.AWSConfig{CloudWatchEndpoint: motoURL, CloudWatchJSON: true})
	out, err := cw.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{
		Namespace: aws.String(route53.MetricNamespace), MetricName: aws.String(route53.MetricName)})
	if err != nil {
		return 0
	}
	return len(out.Metrics)
}

// listenerTargetGroup is the target group the listener's single default action forwards
// to, as moto answers.
func listenerTargetGroup(t *testing.T, lb peers.MotoELB) string {
	t.Helper()
	out, err := lb.Client.DescribeListeners(context.Background(), &elbv2.DescribeListenersInput{ListenerArns: []string{lb.Listener}})
	if err != nil || len(out.Listeners) != 1 || len(out.Listeners[0].DefaultActions) != 1 {
		t.Fatalf("describe listener: %v %+v", err, out)
	}
	return aws.ToString(out.Listeners[0].DefaultActions[0].TargetGroupArn)
}

func stepStatus(p *act.Plan, kind act.StepKind) act.Status {
	for _, s := range p.Steps {
		if s.Kind == kind {
			return s.Status
		}
	}
	return ""
}

func route53Client(motoURL string) *r53.Client {
	return r53.New(r53.Options{Region: "us-east-1", BaseEndpoint: aws.String(motoURL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
}

func createZone(t *testing.T, motoURL string) string {
	t.Helper()
	out, err := route53Client(motoURL).CreateHostedZone(context.Background(), &r53.CreateHostedZoneInput{
		Name: aws.String("example.com"), CallerReference: aws.String(fmt.Sprint(time.Now().UnixNano()))})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(*out.HostedZone.Id, "/hostedzone/")
}

// recordValue is the single value of the record name of type typ in the zone, or "".
func recordValue(t *testing.T, motoURL, zoneID, name string, typ r53types.RRType) string {
	t.Helper()
	out, err := route53Client(motoURL).ListResourceRecordSets(context.Background(), &r53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range out.ResourceRecordSets {
		if aws.ToString(rr.Name) == name && rr.Type == typ && len(rr.ResourceRecords) == 1 {
			return aws.ToString(rr.ResourceRecords[0].Value)
		}
	}
	return ""
}
