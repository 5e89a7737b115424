package rfc2136

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/act"
	"github.com/miekg/dns"
)

var clusters = []string{"east", "west"}

func testConfig(server string) Config {
	return Config{
		Server: server, Zone: "example.com", Name: "es.example.com", Type: "A", TTL: 20,
		Values:  map[string][]string{"east": {"192.0.2.1"}, "west": {"198.51.100.7", "198.51.100.8"}},
		TSIGKey: "esdr-key", TSIGSecret: testSecret,
	}
}

func TestApplyPointsTheRecordAtTheStandby(t *testing.T) {
	server := startNamed(t)
	tg, err := New(testConfig(server), clusters)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sw := act.Switch{Epoch: 2, From: "east", To: "west"}
	if err := tg.Apply(ctx, sw); err != nil {
		t.Fatal(err)
	}
	soa := serial(t, server)
	if err := tg.Apply(ctx, sw); err != nil { // idempotent: no second update
		t.Fatal(err)
	}
	if again := serial(t, server); again != soa {
		t.Errorf("re-applying the same switch bumped the zone serial %d → %d", soa, again)
	}

	// What a user's resolver would see, asked with dig.
	out, err := exec.Command("dig", "+norecurse", "+noall", "+answer", "-p", strings.Split(server, ":")[1],
		"@127.0.0.1", testName, "A").Output()
	if err != nil {
		t.Fatalf("dig: %v", err)
	}
	for _, ip := range []string{"198.51.100.7", "198.51.100.8"} {
		if !strings.Contains(string(out), "20\tIN\tA\t"+ip) {
			t.Errorf("dig answer lacks %s with TTL 20:\n%s", ip, out)
		}
	}
	if strings.Contains(string(out), "192.0.2.1") {
		t.Errorf("dig still answers the old address:\n%s", out)
	}
}

func TestApplyWithWrongKeyFailsClearly(t *testing.T) {
	server := startNamed(t)
	for name, mutate := range map[string]func(*Config){
		"wrong secret":   func(c *Config) { c.TSIGSecret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE=" },
		"wrong key name": func(c *Config) { c.TSIGKey = "intruder" },
	} {
		t.Run(name, func(t *testing.T) {
			c := testConfig(server)
			mutate(&c)
			tg, err := New(c, clusters)
			if err != nil {
				t.Fatal(err)
			}
			err = tg.Apply(context.Background(), act.Switch{Epoch: 2, To: "west"})
			want := "rfc2136: update es.example.com. at " + server + " refused: NOTAUTH (bad TSIG key?)"
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
}

func serial(t *testing.T, server string) uint32 {
	t.Helper()
	r, err := dns.ExchangeContext(context.Background(), new(dns.Msg).SetQuestion(testZone, dns.TypeSOA), server)
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("SOA of %s: %v", testZone, err)
	}
	return r.Answer[0].(*dns.SOA).Serial
}

func TestCheck(t *testing.T) {
	c := Config{Server: "ns1", Zone: "example.com", Name: "es.example.org", Type: "MX",
		Values: map[string][]string{"east": {"x"}}, TSIGAlgorithm: "md5"}
	ps := c.Check(clusters)
	want := []string{"server:", "name:", "type:", "values.west:", "values.east:", "tsig_key:", "tsig_algorithm:"}
	if len(ps) != len(want) {
		t.Fatalf("problems %q, want %d", ps, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(ps[i], w) {
			t.Errorf("problem %d = %q, want key %s", i, ps[i], w)
		}
	}
	c = testConfig("127.0.0.1:53")
	c.Values["east"] = []string{"2001:db8::1"}
	if ps := c.Check(clusters); len(ps) != 1 || !strings.Contains(ps[0], "not an IPv4 address") {
		t.Fatalf("IPv6 in an A record: %q", ps)
	}
}
