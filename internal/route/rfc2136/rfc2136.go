// Package rfc2136 points a DNS record at the active cluster with an RFC 2136 dynamic
// update signed with TSIG, for users whose own DNS (BIND, Knot, PowerDNS, Windows DNS)
// is where applications look. The record's whole RRset is replaced in one UPDATE message
// (delete the RRset, add the new records with the new TTL), so no resolver ever sees a
// mix of both clusters; the result is read back from the same server.
//
// DNS cannot hold an epoch next to the record: going backwards is prevented by act,
// which never applies a step of an old epoch.
package rfc2136

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/miekg/dns"
)

// exchanger is the part of *dns.Client this target uses.
type exchanger interface {
	ExchangeContext(ctx context.Context, m *dns.Msg, addr string) (*dns.Msg, time.Duration, error)
}

// Target owns one record in one zone.
type Target struct {
	cfg    Config
	client exchanger
}

// New checks c against the configured cluster names and returns its target.
func New(c Config, clusters []string) (*Target, error) {
	if ps := c.Check(clusters); len(ps) > 0 {
		return nil, fmt.Errorf("rfc2136: %s", strings.Join(ps, "; "))
	}
	c.Zone, c.Name = dns.CanonicalName(c.Zone), dns.CanonicalName(c.Name)
	c.TSIGKey = dns.CanonicalName(c.TSIGKey)
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	cl := &dns.Client{
		Timeout:    timeout,
		TsigSecret: map[string]string{c.TSIGKey: c.TSIGSecret},
	}
	if c.TCP {
		cl.Net = "tcp"
	}
	return &Target{cfg: c, client: cl}, nil
}

// Name implements act.Target.
func (t *Target) Name() string { return "rfc2136:" + t.cfg.Name }

// Apply replaces the record with sw.To's data unless the server already answers with
// exactly that data and TTL, then queries the server to verify.
func (t *Target) Apply(ctx context.Context, sw act.Switch) error {
	want, err := t.cfg.records(sw.To)
	if err != nil {
		return fmt.Errorf("rfc2136: %s for cluster %q: %w", t.cfg.Name, sw.To, err)
	}
	if have, err := t.query(ctx); err == nil && sameRRset(have, want) {
		return nil
	}
	if err := t.update(ctx, want); err != nil {
		return err
	}
	have, err := t.query(ctx)
	if err != nil {
		return err
	}
	if !sameRRset(have, want) {
		return fmt.Errorf("rfc2136: %s at %s answers %s after the update, want %s",
			t.cfg.Name, t.cfg.Server, rdata(have), rdata(want))
	}
	return nil
}

// update sends one signed UPDATE: delete the name's RRset of the configured type, add
// want. The server applies both or neither.
func (t *Target) update(ctx context.Context, want []dns.RR) error {
	m := new(dns.Msg)
	m.SetUpdate(t.cfg.Zone)
	m.RemoveRRset([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: t.cfg.Name, Rrtype: want[0].Header().Rrtype}}})
	m.Insert(want)
	m.SetTsig(t.cfg.TSIGKey, tsigAlgorithms[t.cfg.algorithmName()], 300, time.Now().Unix())
	r, _, err := t.client.ExchangeContext(ctx, m, t.cfg.Server)
	// A refusal of a badly signed update comes back unsigned or badly signed: report
	// the server's rcode, which says more than the TSIG check of its answer.
	if r != nil && r.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("rfc2136: update %s at %s refused: %s%s",
			t.cfg.Name, t.cfg.Server, dns.RcodeToString[r.Rcode], hint(r.Rcode))
	}
	if err != nil {
		return fmt.Errorf("rfc2136: update %s at %s: %w", t.cfg.Name, t.cfg.Server, err)
	}
	return nil
}

func hint(rcode int) string {
	switch rcode {
	case dns.RcodeNotAuth:
		return " (bad TSIG key?)"
	case dns.RcodeRefused:
		return " (does the zone's update-policy allow this key and name?)"
	case dns.RcodeNotZone:
		return " (is the name inside the zone?)"
	}
	return ""
}

// query asks the server itself (no recursion) for the record.
func (t *Target) query(ctx context.Context) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(t.cfg.Name, dns.StringToType[t.cfg.Type])
	m.RecursionDesired = false
	r, _, err := t.client.ExchangeContext(ctx, m, t.cfg.Server)
	if err != nil {
		return nil, fmt.Errorf("rfc2136: query %s at %s: %w", t.cfg.Name, t.cfg.Server, err)
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("rfc2136: query %s at %s: %s", t.cfg.Name, t.cfg.Server, dns.RcodeToString[r.Rcode])
	}
	var out []dns.RR
	for _, rr := range r.Answer {
		if h := rr.Header(); strings.EqualFold(h.Name, t.cfg.Name) && h.Rrtype == dns.StringToType[t.cfg.Type] {
			out = append(out, rr)
		}
	}
	return out, nil
}

// sameRRset reports whether a and b hold the same data with the same TTL.
func sameRRset(a, b []dns.RR) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Header().Ttl != b[0].Header().Ttl {
			return false
		}
	}
	return slices.Equal(rdata(a), rdata(b))
}

// rdata is the sorted, lowercased data of rrs, e.g. ["192.0.2.1" "192.0.2.2"].
func rdata(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		s := rr.String()
		s = s[len(rr.Header().String()):]
		out = append(out, strings.ToLower(s))
	}
	slices.Sort(out)
	return out
}
