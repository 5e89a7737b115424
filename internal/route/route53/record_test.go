package route53

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/esdr/esdr/internal/act"
)

var clusters = []string{"east", "west"}

func TestRecordUpsertsAndIsANoOpWhenRight(t *testing.T) {
	url := startMoto(t)
	rc, _, n := clients(t, url)
	zone := hostedZone(t, rc)
	ctx := context.Background()
	for _, c := range []RecordConfig{
		{Name: "es.example.com", Type: "CNAME", TTL: 30,
			Values: map[string][]string{"east": {"es-east.example.net"}, "west": {"es-west.example.net"}}},
		{Name: "es4.example.com", Type: "A",
			Values: map[string][]string{"east": {"192.0.2.1"}, "west": {"198.51.100.7", "198.51.100.8"}}},
		{Name: "esalias.example.com", Type: "A", Alias: true,
			Values: map[string][]string{"east": {"es4.example.com"}, "west": {"es-west.example.com"}}},
	} {
		t.Run(c.Type+map[bool]string{true: "-alias"}[c.Alias], func(t *testing.T) {
			c.HostedZoneID = zone
			rec, err := NewRecord(rc, c, clusters)
			if err != nil {
				t.Fatal(err)
			}
			before := n.Get("ChangeResourceRecordSets")
			for _, to := range []string{"east", "west", "west"} {
				if err := rec.Apply(ctx, act.Switch{Epoch: 1, To: to, Reason: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			if got := n.Get("ChangeResourceRecordSets") - before; got != 2 {
				t.Errorf("%d ChangeResourceRecordSets calls for east, west, west; want 2 (the repeat is a no-op)", got)
			}
			set := onlySet(t, rc, zone, c.Name, c.Type)
			want, _ := rec.desired("west")
			if !sameSet(set, want) {
				t.Errorf("zone holds %+v, want %+v", set, want)
			}
			if c.Alias && set.TTL != nil {
				t.Errorf("alias record carries TTL %d", *set.TTL)
			}
		})
	}
}

func onlySet(t *testing.T, rc *r53.Client, zone, name, typ string) types.ResourceRecordSet {
	t.Helper()
	out, err := rc.ListResourceRecordSets(context.Background(), &r53.ListResourceRecordSetsInput{HostedZoneId: &zone})
	if err != nil {
		t.Fatal(err)
	}
	var found []types.ResourceRecordSet
	for _, s := range out.ResourceRecordSets {
		if fqdn(aws.ToString(s.Name)) == fqdn(name) && string(s.Type) == typ {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d record sets %s %s, want 1", len(found), name, typ)
	}
	return found[0]
}

func TestRecordCheck(t *testing.T) {
	c := RecordConfig{HostedZoneID: "Z1", Name: "es.example.com", Type: "A", Alias: true, TTL: 60,
		Values: map[string][]string{"east": {"lb-east.example.net"}, "west": {"lb-west.example.net"}}}
	ps, _ := c.Check(clusters)
	if len(ps) != 1 || ps[0] != "ttl: AWS rejects TTL on alias records; remove ttl, alias records take the target's TTL" {
		t.Fatalf("alias with TTL: problems %q", ps)
	}
	if _, err := NewRecord(nil, c, clusters); err == nil || !strings.Contains(err.Error(), "AWS rejects TTL on alias records") {
		t.Fatalf("NewRecord accepted an alias with a TTL: %v", err)
	}
	c = RecordConfig{HostedZoneID: "Z1", Name: "es.example.com", Type: "A", TTL: 300,
		Values: map[string][]string{"east": {"192.0.2.1"}, "west": {"2001:db8::1"}}}
	ps, ws := c.Check(clusters)
	if len(ps) != 1 || !strings.HasPrefix(ps[0], "values.west[0]:") || len(ws) != 1 || !strings.HasPrefix(ws[0], "ttl: 300 s") {
		t.Fatalf("problems %q warnings %q", ps, ws)
	}
}
