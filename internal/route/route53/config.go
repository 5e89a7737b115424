package route53

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"
)

// RecordConfig is a Route 53 target in mode record (targets.route53[i], mode: record).
type RecordConfig struct {
	HostedZoneID string
	// Name is the record esdr owns, such as es.example.com.
	Name string
	// Type is A, AAAA or CNAME; an alias record has the type of what it points to.
	Type string
	// TTL in seconds; zero means DefaultTTL. Must be zero for an alias record.
	TTL int64
	// Alias makes the record an alias: each cluster's value is then one DNS name (a load
	// balancer, or another record of the zone) and AliasZoneIDs gives its hosted zone.
	Alias bool
	// AliasZoneIDs maps a cluster to the hosted zone ID of its alias target; a cluster
	// without one points at a record of HostedZoneID itself.
	AliasZoneIDs         map[string]string
	EvaluateTargetHealth bool
	// Values maps each cluster name to the record data: addresses for A and AAAA, one
	// host name for CNAME and alias.
	Values map[string][]string
	// SyncTimeout bounds the wait for the change to be INSYNC; zero means DefaultSyncTimeout.
	SyncTimeout time.Duration
}

// Check returns problems (errors) and warnings as "key: message" lines, keys relative to
// the target's block. clusters are the configured cluster names.
func (c RecordConfig) Check(clusters []string) (problems, warnings []string) {
	p := checker{clusters: clusters}
	p.zone(c.HostedZoneID)
	p.name(c.Name)
	if c.Alias && c.Type == "CNAME" {
		p.add("type: CNAME is not allowed for an alias record, want A or AAAA (the type of the alias target)")
	}
	p.typ(c.Type)
	switch {
	case c.Alias && c.TTL != 0:
		p.add("ttl: AWS rejects TTL on alias records; remove ttl, alias records take the target's TTL")
	case c.TTL < 0 || c.TTL > 86400:
		p.add("ttl: %d is out of range, want 1 to 86400 seconds (60 or less recommended)", c.TTL)
	case c.TTL > 60:
		p.warn("ttl: %d s keeps resolvers on the old cluster up to that long after a failover; AWS recommends 60 or less", c.TTL)
	}
	p.values(c.Type, c.Alias, c.Values)
	if !c.Alias && len(c.AliasZoneIDs) > 0 {
		p.add("alias_zone_ids: only for alias records, set alias: true or remove it")
	}
	if c.SyncTimeout < 0 {
		p.add("sync_timeout: negative, want a duration such as 3m")
	}
	return p.problems, p.warnings
}

// checker collects problems and warnings shared by both modes' checks.
type checker struct {
	clusters           []string
	problems, warnings []string
}

func (p *checker) add(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *checker) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

func (p *checker) zone(id string) {
	id = zoneID(id)
	if id == "" || strings.ContainsAny(id, " /") {
		p.add("hosted_zone_id: %q is not allowed, want a hosted zone ID such as Z0123456789ABCDEFGHIJ", id)
	}
}

func (p *checker) name(n string) {
	if n == "" || strings.ContainsAny(n, " /") || !strings.Contains(strings.TrimSuffix(n, "."), ".") {
		p.add("name: %q is not allowed, want a record name such as es.example.com", n)
	}
}

func (p *checker) typ(t string) {
	if t != "A" && t != "AAAA" && t != "CNAME" {
		p.add("type: %q is not allowed, want A, AAAA or CNAME", t)
	}
}

// values checks each cluster's record data against the record type.
func (p *checker) values(typ string, alias bool, vals map[string][]string) {
	for _, cl := range p.clusters {
		if len(vals[cl]) == 0 {
			p.add("values.%s: none, want the record data that points at cluster %s", cl, cl)
		}
	}
	for _, cl := range slices.Sorted(maps.Keys(vals)) {
		v := vals[cl]
		switch {
		case !slices.Contains(p.clusters, cl):
			p.add("values.%s: unknown cluster, want one of %s", cl, strings.Join(p.clusters, ", "))
		case (alias || typ == "CNAME") && len(v) != 1:
			p.add("values.%s: %d values, want exactly 1 DNS name for a CNAME or alias record", cl, len(v))
		case typ == "A" && !alias:
			for i, s := range v {
				if ip := net.ParseIP(s); ip == nil || ip.To4() == nil {
					p.add("values.%s[%d]: %q is not an IPv4 address", cl, i, s)
				}
			}
		case typ == "AAAA" && !alias:
			for i, s := range v {
				if ip := net.ParseIP(s); ip == nil || ip.To4() != nil {
					p.add("values.%s[%d]: %q is not an IPv6 address", cl, i, s)
				}
			}
		}
	}
}

// zoneID strips the /hostedzone/ prefix that the API's own answers carry.
func zoneID(id string) string { return strings.TrimPrefix(id, "/hostedzone/") }
