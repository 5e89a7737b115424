package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/tlsfile"
	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/peers"
)

// TestListenersOverTLS runs the built esdr with TLS on both listeners (the admin API
// requiring client certificates) in front of a real cluster pair: curl reaches the
// cluster through the proxy trusting only the test's CA, the CLI reaches the admin API
// with --ca-file, --cert and --key, a client that leaves while its slow search runs ends
// the search at the node, a rotated proxy certificate is picked up from the files, and a
// bad pair sent by SIGHUP is refused and counted while the old one serves.
func TestListenersOverTLS(t *testing.T) {
	p := clusters(t, "opensearch2")
	dir := t.TempDir()
	ca := newTestCA(t, dir)
	ca.issue(t, dir, "admin", "esdr-admin")
	ca.issue(t, dir, "proxy", "esdr-proxy-1")
	ca.issue(t, dir, "operator", "operator")
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	proxyAddr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfg := fmt.Sprintf(`clusters:
  - {name: primary, nodes: %s}
  - {name: standby, nodes: %s}
health: {interval: 500ms, failure_threshold: 3, success_threshold: 3}
failover: {auto: true, hold_down: 1h, failback: manual}
state: {path: state.db}
admin:
  listen: %s
  token: %s
  tls: {cert_file: admin.crt, key_file: admin.key, client_ca_file: ca.pem}
proxy:
  listen: %s
  tls: {cert_file: proxy.crt, key_file: proxy.key}
log: {level: debug}
`, yamlList(p.primary.URLs()), yamlList(p.standby.URLs()), addr, esdrproc.Token, proxyAddr)
	proc := esdrproc.NewT(t, esdrproc.Spec{Bin: esdrBin, Dir: dir, Addr: addr, Config: cfg})
	c, err := admin.NewClient("https://"+addr, esdrproc.Token, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	at := func(f string) string { return filepath.Join(dir, f) }
	tc, err := tlsfile.Peer{CAFile: at("ca.pem"), CertFile: at("operator.crt"), KeyFile: at("operator.key")}.Config()
	if err != nil {
		t.Fatal(err)
	}
	c.SetTLS(tc)
	proc.Client = c
	proc.StartT(t)
	e := &esdr{Proc: proc, t: t, proxyURL: "https://" + proxyAddr}
	e.waitVerdict("standby", "up", detectBound)
	e.waitActive("primary", 1, detectBound)

	// A stock client through the proxy, trusting the CA only.
	out, err := exec.Command("curl", "-sS", "--fail", "--cacert", at("ca.pem"), e.proxyURL+"/_cluster/health").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"cluster_name":"`+p.primary.Name) {
		t.Fatalf("curl through the proxy: %v\n%s", err, out)
	}
	if out, err := exec.Command("curl", "-sS", e.proxyURL+"/").CombinedOutput(); err == nil {
		t.Fatalf("curl without the CA trusted the proxy:\n%s", out)
	}

	// A client that leaves while its slow search runs ends the search at the node: esdr
	// sees the close under the TLS records.
	slowSearchIndex(t, p.primary.URLs()[0], "tls-leave")
	lc, err := tls.Dial("tcp", proxyAddr, &tls.Config{RootCAs: tc.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	leavingSearch(t, p.primary.URLs()[0], "tls-leave", lc, false)

	// The CLI, with and without its client certificate.
	cli := func(extra ...string) (string, int) {
		args := append([]string{"status", "--addr", "https://" + addr, "--token", esdrproc.Token, "--ca-file", at("ca.pem")}, extra...)
		cmd := exec.Command(esdrBin, args...)
		cmd.Env = append(os.Environ(), "ESDR_CERT=", "ESDR_KEY=", "ESDR_CA_FILE=")
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(b), ee.ExitCode()
		}
		return string(b), 0
	}
	if out, code := cli("--cert", at("operator.crt"), "--key", at("operator.key")); code != 0 || !strings.Contains(out, "active:") {
		t.Fatalf("esdr status over TLS = %d:\n%s", code, out)
	}
	if out, code := cli(); code != 1 || !strings.Contains(out, "give --cert and --key") {
		t.Fatalf("esdr status without a client certificate = %d:\n%s", code, out)
	}

	// Rotation by the files: the next handshakes get the new certificate.
	hc := func() *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tc.RootCAs}, DisableKeepAlives: true}}
	}
	presented := func() string {
		resp, err := hc().Get(e.proxyURL + "/")
		if err != nil {
			return err.Error()
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Subject.CommonName
	}
	kept := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tc.RootCAs}}}
	if _, err := getCN(kept, e.proxyURL+"/"); err != nil {
		t.Fatal(err)
	}
	ca.issue(t, dir, "proxy", "esdr-proxy-2")
	e.eventually("the rotated proxy certificate in use", detectBound, func() bool { return presented() == "esdr-proxy-2" })
	if cn, err := getCN(kept, e.proxyURL+"/"); err != nil || cn != "esdr-proxy-1" {
		t.Fatalf("the connection made before the rotation: %q, %v; want it kept, with its certificate", cn, err)
	}

	// A bad pair by SIGHUP: refused, counted, the previous pair serving.
	other := t.TempDir()
	ca.issue(t, other, "x", "esdr-proxy-3")
	key, _ := os.ReadFile(filepath.Join(other, "x.key"))
	mc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	refused := func() string {
		resp, err := mc.Get("https://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return grepLines(string(body), `esdr_tls_reload_refused_total{listener="proxy"}`)
	}
	countBefore := refused()
	putFile(t, at("proxy.key"), key)
	before := strings.Count(e.Output(), "tls: reload refused")
	if err := e.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	e.eventually("the refusal logged", detectBound, func() bool { return strings.Count(e.Output(), "tls: reload refused") > before })
	if cn := presented(); cn != "esdr-proxy-2" {
		t.Fatalf("after a refused reload the proxy presents %q, want esdr-proxy-2", cn)
	}
	if after := refused(); after == countBefore || after == "" {
		t.Fatalf("esdr_tls_reload_refused_total did not count the refusal: %q before, %q after", countBefore, after)
	}
}

// getCN sends one request on client (keeping its connection) and returns the name the
// server's certificate carries.
func getCN(client *http.Client, url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.TLS.PeerCertificates[0].Subject.CommonName, nil
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
