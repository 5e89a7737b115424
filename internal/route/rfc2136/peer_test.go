package rfc2136

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
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
	if testing.Short() {
		t.Skip("needs a real BIND named; skipped under -short")
	}
	bin, err := exec.LookPath("named")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/named"); err != nil {
			t.Fatal("named not found; run scripts/install.sh")
		}
		bin = "/usr/sbin/named"
	}
	dir := t.TempDir()
	port := freePort(t)
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
	logf, err := os.Create(filepath.Join(dir, "named.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-g", "-4", "-c", filepath.Join(dir, "named.conf"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			t.Logf("named log:\n%s", out)
		}
	})
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

// freePort returns a port free for both UDP and TCP on 127.0.0.1, as named listens on both.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no port free for both TCP and UDP")
	return 0
}
