package route53

import (
	"context"
	"testing"

	"github.com/esdr/esdr/internal/act"
)

// TestRecordPoints reads, on moto, which cluster the record points at: none while it is
// absent, west after a switch there, none for data of no configured cluster.
func TestRecordPoints(t *testing.T) {
	url := startMoto(t)
	rc, _, _ := clients(t, url)
	zone := hostedZone(t, rc)
	ctx := context.Background()
	c := RecordConfig{HostedZoneID: zone, Name: "es.example.com", Type: "CNAME", TTL: 30,
		Values: map[string][]string{"east": {"es-east.example.net"}, "west": {"es-west.example.net"}}}
	rec, err := NewRecord(rc, c, clusters)
	if err != nil {
		t.Fatal(err)
	}
	if got, e, err := rec.Points(ctx); got != "" || e != 0 || err != nil {
		t.Fatalf("absent record: %q %d %v", got, e, err)
	}
	if err := rec.Apply(ctx, act.Switch{Epoch: 2, From: "east", To: "west"}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := rec.Points(ctx); got != "west" || err != nil {
		t.Fatalf("after a switch to west: %q %v", got, err)
	}
	c.Values = map[string][]string{"east": {"old-east.example.net"}, "west": {"old-west.example.net"}}
	other, err := NewRecord(rc, c, clusters)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := other.Points(ctx); got != "" || err != nil {
		t.Fatalf("data of no configured cluster: %q %v", got, err)
	}
}
