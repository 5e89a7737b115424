package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/esdr/esdr/testbed/peers"
)

// The DNS path: one BIND named per campaign, primary for dnsZone; each run's esdr owns a
// CNAME of its own (dnsRecord) through its rfc2136 target, pointing at the cluster's
// name (primary.chaos.test. or standby.chaos.test.), and the DNS-following client asks
// named before each write, as a resolver would with the record's 1 s TTL expired.
const dnsZone = "chaos.test."

func dnsRecord(seed int64) string { return fmt.Sprintf("run-%d.%s", seed, dnsZone) }

func clusterHost(cluster string) string { return cluster + "." + dnsZone }

// startNamed starts the campaign's named under dir.
func startNamed(dir string) (*peers.Named, error) {
	d := filepath.Join(dir, "named")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, fmt.Errorf("chaos: named: %w", err)
	}
	n, err := peers.StartNamed(d, dnsZone)
	if err != nil {
		return nil, fmt.Errorf("chaos: named: %w", err)
	}
	return n, nil
}

// rfc2136Block is a member's rfc2136 target: the run's record, one host name per cluster.
func rfc2136Block(server string, seed int64) string {
	var vals []string
	for _, c := range clusterNames {
		vals = append(vals, fmt.Sprintf("%s: [%s]", c, clusterHost(c)))
	}
	return fmt.Sprintf(`  rfc2136:
    - server: %s
      zone: %s
      name: %s
      type: CNAME
      ttl: 1
      values: {%s}
      tsig_key: %s
      tsig_secret: %s
      timeout: 2s
`, server, dnsZone, dnsRecord(seed), strings.Join(vals, ", "), peers.NamedKey, peers.NamedSecret)
}

// newDNSFollower follows the run's record at server.
func newDNSFollower(server string, seed int64, nodes map[string][]string) *follower {
	byHost := map[string]string{}
	for _, c := range clusterNames {
		byHost[clusterHost(c)] = c
	}
	c := &dns.Client{Timeout: time.Second}
	q := new(dns.Msg).SetQuestion(dnsRecord(seed), dns.TypeCNAME)
	q.RecursionDesired = false
	find := func(ctx context.Context) (activeValue, bool) {
		r, _, err := c.ExchangeContext(ctx, q.Copy(), server)
		if err != nil || r.Rcode != dns.RcodeSuccess {
			return activeValue{}, false
		}
		for _, rr := range r.Answer {
			if cn, ok := rr.(*dns.CNAME); ok {
				if cl := byHost[strings.ToLower(cn.Target)]; cl != "" && len(nodes[cl]) > 0 {
					return activeValue{Cluster: cl}, true
				}
			}
		}
		return activeValue{}, false
	}
	return &follower{via: "dns", prefix: "d-", find: find, nodes: nodes, close: func() {}}
}
