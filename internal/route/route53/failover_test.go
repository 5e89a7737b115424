package route53

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/esdr/esdr/internal/act"
)

func failoverConfig(zone string) FailoverConfig {
	return FailoverConfig{
		HostedZoneID: zone, Name: "es.example.com", Type: "A", TTL: 30,
		Primary: "east", Secondary: "west",
		Values:     map[string][]string{"east": {"192.0.2.1"}, "west": {"198.51.100.7"}},
		CheckHosts: map[string]string{"east": "es-east.example.net", "west": "198.51.100.7"},
		HealthCheck: HealthCheckConfig{Protocol: "HTTPS", Port: 9200, Path: "/_esdr/health",
			StringMatch: "serving", RequestInterval: 10, FailureThreshold: 2},
	}
}

// pair returns the zone's failover records of es.example.com by role.
func pair(t *testing.T, rc *r53.Client, zone string) map[types.ResourceRecordSetFailover]types.ResourceRecordSet {
	t.Helper()
	out, err := rc.ListResourceRecordSets(context.Background(), &r53.ListResourceRecordSetsInput{HostedZoneId: &zone})
	if err != nil {
		t.Fatal(err)
	}
	got := map[types.ResourceRecordSetFailover]types.ResourceRecordSet{}
	for _, s := range out.ResourceRecordSets {
		if s.Failover != "" {
			got[s.Failover] = s
		}
	}
	return got
}

func healthCheck(t *testing.T, rc *r53.Client, id *string) *types.HealthCheck {
	t.Helper()
	out, err := rc.GetHealthCheck(context.Background(), &r53.GetHealthCheckInput{HealthCheckId: id})
	if err != nil {
		t.Fatal(err)
	}
	return out.HealthCheck
}

func TestFailoverCreatesPairAndRepairsDrift(t *testing.T) {
	url := startMoto(t)
	rc, _, n := clients(t, url)
	zone := hostedZone(t, rc)
	ctx := context.Background()
	var reported [][]Drift
	f, err := NewFailover(rc, failoverConfig(zone), clusters, func(d []Drift) { reported = append(reported, d) })
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Apply(ctx, act.Switch{Epoch: 1, To: "east"}); err != nil {
		t.Fatal(err)
	}
	recs := pair(t, rc, zone)
	for role, want := range map[types.ResourceRecordSetFailover]struct{ ip, host string }{
		types.ResourceRecordSetFailoverPrimary:   {"192.0.2.1", "es-east.example.net"},
		types.ResourceRecordSetFailoverSecondary: {"198.51.100.7", "198.51.100.7"},
	} {
		rec, ok := recs[role]
		if !ok {
			t.Fatalf("no %s record", role)
		}
		if d := recordData(rec); !slices.Equal(d, []string{want.ip}) || aws.ToInt64(rec.TTL) != 30 {
			t.Errorf("%s record: data %v ttl %d", role, d, aws.ToInt64(rec.TTL))
		}
		hc := healthCheck(t, rc, rec.HealthCheckId).HealthCheckConfig
		if hc.Type != types.HealthCheckTypeHttpsStrMatch || aws.ToInt32(hc.Port) != 9200 || aws.ToString(hc.ResourcePath) != "/_esdr/health" ||
			aws.ToString(hc.SearchString) != "serving" || aws.ToInt32(hc.RequestInterval) != 10 || aws.ToInt32(hc.FailureThreshold) != 2 {
			t.Errorf("%s health check %+v", role, hc)
		}
		if host := aws.ToString(hc.FullyQualifiedDomainName) + aws.ToString(hc.IPAddress); host != want.host {
			t.Errorf("%s health check probes %q, want %q", role, host, want.host)
		}
	}

	// In step: a second reconcile changes nothing.
	changes, creates := n.Get("ChangeResourceRecordSets"), n.Get("CreateHealthCheck")
	if drift, err := f.Reconcile(ctx); err != nil || len(drift) != 0 {
		t.Fatalf("reconcile of a pair in step: drift %v, err %v", drift, err)
	}
	if n.Get("ChangeResourceRecordSets") != changes || n.Get("CreateHealthCheck") != creates {
		t.Error("reconcile of a pair in step called the API to change something")
	}

	// Someone raises the primary's threshold by hand: esdr puts it back and reports it.
	primaryHC := recs[types.ResourceRecordSetFailoverPrimary].HealthCheckId
	if _, err := rc.UpdateHealthCheck(ctx, &r53.UpdateHealthCheckInput{HealthCheckId: primaryHC, FailureThreshold: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	reported = nil
	if err := f.Apply(ctx, act.Switch{Epoch: 2, From: "east", To: "west"}); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(healthCheck(t, rc, primaryHC).HealthCheckConfig.FailureThreshold); got != 2 {
		t.Errorf("primary threshold %d after reconcile, want 2", got)
	}
	if len(reported) != 1 || len(reported[0]) != 1 || !strings.Contains(reported[0][0].String(), `failure_threshold "7", want "2"`) {
		t.Errorf("reported drift %v", reported)
	}
	if n.Get("CreateHealthCheck") != creates {
		t.Error("an updatable drift created a new health check")
	}

	// The secondary record is pointed elsewhere by hand: put back.
	sec := recs[types.ResourceRecordSetFailoverSecondary]
	sec.ResourceRecords = []types.ResourceRecord{{Value: aws.String("203.0.113.9")}}
	if _, err := rc.ChangeResourceRecordSets(ctx, &r53.ChangeResourceRecordSetsInput{HostedZoneId: &zone, ChangeBatch: &types.ChangeBatch{
		Changes: []types.Change{{Action: types.ChangeActionUpsert, ResourceRecordSet: &sec}}}}); err != nil {
		t.Fatal(err)
	}
	drift, err := f.Reconcile(ctx)
	if err != nil || len(drift) != 1 || drift[0].Item != "record SECONDARY" {
		t.Fatalf("drift %v, err %v; want the SECONDARY record", drift, err)
	}
	if d := recordData(pair(t, rc, zone)[types.ResourceRecordSetFailoverSecondary]); !slices.Equal(d, []string{"198.51.100.7"}) {
		t.Errorf("secondary data %v after reconcile", d)
	}
}

func TestFailoverReplacesCheckWhenIntervalChanges(t *testing.T) {
	url := startMoto(t)
	rc, _, _ := clients(t, url)
	zone := hostedZone(t, rc)
	ctx := context.Background()
	c := failoverConfig(zone)
	f, err := NewFailover(rc, c, clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	old := pair(t, rc, zone)[types.ResourceRecordSetFailoverPrimary].HealthCheckId

	c.HealthCheck.RequestInterval = 30 // not updatable in place
	if f, err = NewFailover(rc, c, clusters, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	now := pair(t, rc, zone)[types.ResourceRecordSetFailoverPrimary].HealthCheckId
	if aws.ToString(now) == aws.ToString(old) {
		t.Fatal("primary record still uses the old health check")
	}
	if got := aws.ToInt32(healthCheck(t, rc, now).HealthCheckConfig.RequestInterval); got != 30 {
		t.Errorf("new check interval %d, want 30", got)
	}
	if _, err := rc.GetHealthCheck(ctx, &r53.GetHealthCheckInput{HealthCheckId: old}); err == nil {
		t.Error("the replaced health check was not deleted")
	}
}

func TestFailoverCheck(t *testing.T) {
	c := failoverConfig("Z1")
	c.TTL, c.Secondary = 120, "east"
	delete(c.Values, "west")
	c.HealthCheck.RequestInterval, c.HealthCheck.FailureThreshold = 15, 11
	c.HealthCheck.StringMatch = `"status":"green"`
	c.CheckHosts["east"] = "10.0.0.5"
	ps, ws := c.Check(clusters)
	wantP := []string{"secondary: same cluster", "health_check.request_interval: 15", "health_check.failure_threshold: 11"}
	wantW := []string{"ttl: 120 s", "check_hosts.east: 10.0.0.5 is not a public address", "health_check.string_match"}
	for _, x := range []struct{ got, want []string }{{ps, wantP}, {ws, wantW}} {
		if len(x.got) != len(x.want) {
			t.Fatalf("got %q, want %d lines", x.got, len(x.want))
		}
		for i, w := range x.want {
			if !strings.HasPrefix(x.got[i], w) {
				t.Errorf("%q, want prefix %q", x.got[i], w)
			}
		}
	}
}
