package route53

import (
	"net"
	"slices"
	"strings"
	"time"
)

// FailoverConfig is a Route 53 target in mode failover-records (targets.route53[i],
// mode: failover-records).
type FailoverConfig struct {
	HostedZoneID string
	// Name is the record name of the pair, such as es.example.com.
	Name string
	// Type is A, AAAA or CNAME.
	Type string
	// TTL in seconds; zero means DefaultTTL.
	TTL int64
	// Primary and Secondary are the cluster names behind the PRIMARY and SECONDARY records.
	Primary, Secondary string
	// Values maps each of the two clusters to its record data.
	Values map[string][]string
	// CheckHosts maps each of the two clusters to what Route 53's checkers probe: a host
	// name or a public IP address.
	CheckHosts  map[string]string
	HealthCheck HealthCheckConfig
	// SyncTimeout bounds the wait for a change to be INSYNC; zero means DefaultSyncTimeout.
	SyncTimeout time.Duration
}

// withDefaults fills the zero fields that have a default.
func (c FailoverConfig) withDefaults() FailoverConfig {
	h := &c.HealthCheck
	if h.Protocol == "" {
		h.Protocol = "HTTP"
	}
	if h.Port == 0 {
		h.Port = map[string]int32{"HTTP": 80, "HTTPS": 443}[h.Protocol]
	}
	if h.Path == "" {
		h.Path = "/"
	}
	if h.RequestInterval == 0 {
		h.RequestInterval = 30
	}
	if h.FailureThreshold == 0 {
		h.FailureThreshold = 3
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	return c
}

// Check returns problems (errors) and warnings as "key: message" lines, keys relative to
// the target's block. clusters are the configured cluster names.
func (c FailoverConfig) Check(clusters []string) (problems, warnings []string) {
	c = c.withDefaults()
	p := checker{clusters: []string{c.Primary, c.Secondary}}
	if c.Primary == c.Secondary {
		p.clusters = p.clusters[:1]
	}
	p.zone(c.HostedZoneID)
	p.name(c.Name)
	p.typ(c.Type)
	for _, role := range []struct{ key, name string }{{"primary", c.Primary}, {"secondary", c.Secondary}} {
		if !slices.Contains(clusters, role.name) {
			p.add("%s: %q is not a configured cluster, want one of %s", role.key, role.name, strings.Join(clusters, ", "))
		}
	}
	if c.Primary == c.Secondary {
		p.add("secondary: same cluster as primary, want the other cluster")
	}
	switch {
	case c.TTL < 0 || c.TTL > 86400:
		p.add("ttl: %d is out of range, want 1 to 86400 seconds (60 or less recommended)", c.TTL)
	case c.TTL > 60:
		p.warn("ttl: %d s keeps resolvers on the failed cluster up to that long after Route 53 fails over; AWS recommends 60 or less", c.TTL)
	}
	p.values(c.Type, false, c.Values)
	for _, cl := range p.clusters {
		host := c.CheckHosts[cl]
		ip := net.ParseIP(host)
		switch {
		case host == "":
			p.add("check_hosts.%s: missing, want the host name or public IP address Route 53 probes for cluster %s", cl, cl)
		case ip != nil && (ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()):
			p.warn("check_hosts.%s: %s is not a public address; Route 53 checkers probe from the internet and will see cluster %s down", cl, host, cl)
		}
	}
	h := c.HealthCheck
	if h.Protocol != "HTTP" && h.Protocol != "HTTPS" {
		p.add("health_check.protocol: %q is not allowed, want HTTP or HTTPS", h.Protocol)
	}
	if h.Port < 1 || h.Port > 65535 {
		p.add("health_check.port: %d is out of range, want 1 to 65535", h.Port)
	}
	if !strings.HasPrefix(h.Path, "/") || len(h.Path) > 255 {
		p.add("health_check.path: %q is not allowed, want a path starting with / of at most 255 characters", h.Path)
	}
	if len(h.StringMatch) > 255 {
		p.add("health_check.string_match: %d characters, want at most 255 (Route 53's limit)", len(h.StringMatch))
	}
	if strings.Contains(h.StringMatch, `"status"`) {
		p.warn(`health_check.string_match: matching the JSON status misses pretty-printed answers and treats yellow (one unassigned replica) as a dead cluster; prefer a path that answers 2xx only when the cluster can serve`)
	}
	if h.RequestInterval != 10 && h.RequestInterval != 30 {
		p.add("health_check.request_interval: %d is not allowed, want 10 or 30 (seconds, as in Route 53)", h.RequestInterval)
	}
	if h.FailureThreshold < 1 || h.FailureThreshold > 10 {
		p.add("health_check.failure_threshold: %d is out of range, want 1 to 10 (as in Route 53)", h.FailureThreshold)
	}
	if c.SyncTimeout < 0 {
		p.add("sync_timeout: negative, want a duration such as 3m")
	}
	return p.problems, p.warnings
}
