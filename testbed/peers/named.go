package peers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/esdr/esdr/testbed/poll"
)

// NamedKey and NamedSecret are the TSIG key a Named accepts updates signed with.
const (
	NamedKey    = "esdr-key."
	NamedSecret = "c2VjcmV0LWtleS1mb3ItZXNkci10ZXN0cy0zMi1ieXRlcyE="
)

// Named is a real BIND named, primary for one zone whose names NamedKey may update.
type Named struct {
	*Proc
	Addr string // host:port, UDP and TCP
	Zone string // with the final dot
}

// StartNamed runs named for zone (such as example.com., with the final dot) in the
// foreground on a free port of 127.0.0.1, its files in dir, and waits until it answers;
// zoneRecords are extra lines for the zone file. Every name of the zone is updatable with
// NamedKey (update-policy zonesub), as an operator grants esdr's key its record.
func StartNamed(dir, zone string, zoneRecords ...string) (*Named, error) {
	bin, err := exec.LookPath("named")
	if err != nil {
		bin = "/usr/sbin/named" // named's home, often off a user's PATH
		if _, err := os.Stat(bin); err != nil {
			return nil, errors.New("peers: named not found; run scripts/install.sh")
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	zone = dns.Fqdn(zone)
	zf := fmt.Sprintf("$TTL 300\n@   IN SOA ns1.%[1]s hostmaster.%[1]s 1 3600 600 86400 30\n    IN NS  ns1.%[1]s\nns1 IN A   127.0.0.1\n", zone)
	for _, r := range zoneRecords {
		zf += r + "\n"
	}
	conf := fmt.Sprintf(`key "%s" { algorithm hmac-sha256; secret "%s"; };
options {
	directory "%[3]s";
	pid-file "%[3]s/named.pid";
	session-keyfile "%[3]s/session.key";
	listen-on port %[4]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
zone "%[5]s" {
	type primary;
	file "%[3]s/zone.db";
	update-policy { grant %[1]s zonesub ANY; };
};
`, NamedKey, NamedSecret, dir, port, zone)
	for name, body := range map[string]string{"zone.db": zf, "named.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, fmt.Errorf("peers: named: %w", err)
		}
	}
	p, err := launch(dir, "named", bin, "-g", "-4", "-c", filepath.Join(dir, "named.conf"))
	if err != nil {
		return nil, err
	}
	n := &Named{Proc: p, Addr: fmt.Sprintf("127.0.0.1:%d", port), Zone: zone}
	if err := n.waitUp(20 * time.Second); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Log())
	}
	return n, nil
}

// StartNamedT is StartNamed for one test, stopped when it ends.
func StartNamedT(t testing.TB, zone string, zoneRecords ...string) *Named {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real named; skipped under -short")
	}
	n, err := StartNamed(t.TempDir(), zone, zoneRecords...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Stop()
		if t.Failed() {
			t.Logf("named log:\n%s", n.Log())
		}
	})
	return n
}

// waitUp waits until named answers the zone's SOA.
func (n *Named) waitUp(within time.Duration) error {
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	m := new(dns.Msg).SetQuestion(n.Zone, dns.TypeSOA)
	err := poll.Until(context.Background(), within, "named at "+n.Addr+" answering for "+n.Zone, func() bool {
		r, _, err := c.ExchangeContext(context.Background(), m, n.Addr)
		return err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1
	})
	if err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	return nil
}
