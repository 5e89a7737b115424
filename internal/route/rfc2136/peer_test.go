package rfc2136

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/esdr/esdr/testbed/peers"
)

// Test zone, key and record served by the test's named.
const (
	testZone   = "example.com."
	testName   = "es.example.com."
	testKey    = "esdr-key."
	testSecret = "c2VjcmV0LWtleS1mb3ItZXNkci10ZXN0cy0zMi1ieXRlcyE="
)

// startNamed runs a real BIND named in the foreground on a free port of 127.0.0.1,
// primary for example.com with es.example.com updatable by the TSIG key testKey.
// It returns the server's host:port; named is stopped when the test ends.
func startNamed(t *testing.T) string {
	t.Helper()
	bin := peers.Need(t, "named")
	dir := t.TempDir()
	port := peers.FreePort(t)
	zone := `$TTL 300
@   IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 30
    IN NS  ns1.example.com.
ns1 IN A   127.0.0.1
es  IN A   192.0.2.1
`
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
zone "example.com" {
	type primary;
	file "%[3]s/example.com.zone";
	update-policy { grant %[1]s name %[5]s A AAAA CNAME; };
};
`, testKey, testSecret, dir, port, testName)
	for name, body := range map[string]string{"example.com.zone": zone, "named.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	peers.Start(t, dir, "named", bin, "-g", "-4", "-c", filepath.Join(dir, "named.conf"))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	m := new(dns.Msg).SetQuestion(testZone, dns.TypeSOA)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, _, err := c.ExchangeContext(context.Background(), m, addr)
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1 {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("named at %s not answering for %s: %v", addr, testZone, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
