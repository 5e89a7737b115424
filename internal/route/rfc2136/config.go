package rfc2136

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Defaults applied to the Config fields left zero.
const (
	DefaultTTL     = 30
	DefaultTimeout = 5 * time.Second
	DefaultTSIGAlg = "hmac-sha256"
)

// Config is one RFC 2136 target in esdr's configuration (targets.rfc2136[i]).
type Config struct {
	// Server is the primary name server accepting updates, host:port.
	Server string
	// Zone is the zone the record lives in, such as example.com.
	Zone string
	// Name is the record esdr owns, such as es.example.com.
	Name string
	// Type is A, AAAA or CNAME.
	Type string
	// TTL in seconds; zero means DefaultTTL. Keep it short: resolvers cache the old
	// answer for up to TTL after a failover.
	TTL uint32
	// Values maps each cluster name to the record data: addresses for A and AAAA, one
	// host name for CNAME.
	Values map[string][]string
	// TSIGKey, TSIGSecret (base64) and TSIGAlgorithm sign the updates.
	TSIGKey       string
	TSIGSecret    string
	TSIGAlgorithm string
	// TCP sends updates and queries over TCP instead of UDP.
	TCP bool
	// Timeout bounds one exchange with the server; zero means DefaultTimeout.
	Timeout time.Duration
}

var tsigAlgorithms = map[string]string{
	"hmac-sha256": dns.HmacSHA256, "hmac-sha512": dns.HmacSHA512,
	"hmac-sha384": dns.HmacSHA384, "hmac-sha224": dns.HmacSHA224, "hmac-sha1": dns.HmacSHA1,
}

// Check returns the problems with c as "key: message" lines, keys relative to the
// target's block. clusters are the configured cluster names.
func (c Config) Check(clusters []string) []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.Server); err != nil {
		add("server: %q is not host:port, want an address such as 192.0.2.53:53", c.Server)
	}
	if _, ok := dns.IsDomainName(c.Zone); !ok || c.Zone == "" {
		add("zone: %q is not a domain name, want the zone such as example.com.", c.Zone)
	}
	switch _, ok := dns.IsDomainName(c.Name); {
	case !ok || c.Name == "":
		add("name: %q is not a domain name, want the record to point, such as es.example.com.", c.Name)
	case c.Zone != "" && !dns.IsSubDomain(dns.Fqdn(c.Zone), dns.Fqdn(c.Name)):
		add("name: %q is not a name in zone %s, want a record such as es.%s", c.Name, c.Zone, dns.Fqdn(c.Zone))
	}
	if c.Type != "A" && c.Type != "AAAA" && c.Type != "CNAME" {
		add("type: %q is not allowed, want A, AAAA or CNAME", c.Type)
	}
	for _, cl := range clusters {
		if len(c.Values[cl]) == 0 {
			add("values.%s: none, want the record data that points at cluster %s", cl, cl)
		}
	}
	for _, cl := range slices.Sorted(maps.Keys(c.Values)) {
		if !slices.Contains(clusters, cl) {
			add("values.%s: unknown cluster, want one of %s", cl, strings.Join(clusters, ", "))
			continue
		}
		if _, err := c.records(cl); err != nil {
			add("values.%s: %v", cl, err)
		}
	}
	if c.TSIGKey == "" || c.TSIGSecret == "" {
		add("tsig_key: missing, want a TSIG key name and tsig_secret (unsigned updates are not supported)")
	} else if _, err := base64.StdEncoding.DecodeString(c.TSIGSecret); err != nil {
		add("tsig_secret: not base64, want the secret as in BIND's key statement")
	}
	if _, ok := tsigAlgorithms[c.algorithmName()]; !ok {
		add("tsig_algorithm: %q is not allowed, want hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224 or hmac-sha1", c.TSIGAlgorithm)
	}
	if c.TTL > 3600 {
		add("ttl: %d is too long for a failover record, want at most 3600 (60 or less recommended)", c.TTL)
	}
	return ps
}

func (c Config) algorithmName() string {
	if c.TSIGAlgorithm == "" {
		return DefaultTSIGAlg
	}
	return strings.TrimSuffix(strings.ToLower(c.TSIGAlgorithm), ".")
}

func (c Config) ttl() uint32 {
	if c.TTL == 0 {
		return DefaultTTL
	}
	return c.TTL
}

// records builds the RRset that points Name at cluster.
func (c Config) records(cluster string) ([]dns.RR, error) {
	vals := c.Values[cluster]
	hdr := dns.RR_Header{Name: dns.CanonicalName(c.Name), Class: dns.ClassINET, Ttl: c.ttl()}
	var rrs []dns.RR
	switch c.Type {
	case "CNAME":
		if len(vals) != 1 {
			return nil, fmt.Errorf("%d values for a CNAME, want exactly 1 host name", len(vals))
		}
		if _, ok := dns.IsDomainName(vals[0]); !ok {
			return nil, fmt.Errorf("%q is not a host name", vals[0])
		}
		hdr.Rrtype = dns.TypeCNAME
		rrs = append(rrs, &dns.CNAME{Hdr: hdr, Target: dns.CanonicalName(vals[0])})
	case "A", "AAAA":
		for _, v := range vals {
			ip := net.ParseIP(v)
			switch {
			case c.Type == "A" && ip.To4() != nil:
				hdr.Rrtype = dns.TypeA
				rrs = append(rrs, &dns.A{Hdr: hdr, A: ip.To4()})
			case c.Type == "AAAA" && ip != nil && ip.To4() == nil:
				hdr.Rrtype = dns.TypeAAAA
				rrs = append(rrs, &dns.AAAA{Hdr: hdr, AAAA: ip})
			default:
				return nil, fmt.Errorf("%q is not an IPv%s address", v, map[string]string{"A": "4", "AAAA": "6"}[c.Type])
			}
		}
	default:
		return nil, fmt.Errorf("type %q is not A, AAAA or CNAME", c.Type)
	}
	return rrs, nil
}
