package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/sigv4"
)

// sigv4Front puts a verifier in front of every node of c, as Amazon OpenSearch Service
// stands in front of a domain's, and returns their URLs.
func sigv4Front(t *testing.T, c *testbed.Cluster) ([]string, []*sigv4.Verifier) {
	t.Helper()
	var urls []string
	var vs []*sigv4.Verifier
	for _, u := range c.URLs() {
		v, err := sigv4.Start(u, "eu-west-1", "es")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		urls, vs = append(urls, v.URL), append(vs, v)
	}
	return urls, vs
}

// sigv4Env gives the esdr the test starts the verifiers' static test credentials, by
// the standard AWS environment variables, and keeps it away from any real ones.
func sigv4Env(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", sigv4.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sigv4.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestSigV4Clusters runs the built esdr against a cluster pair that, like Amazon
// OpenSearch Service, answers only requests signed with AWS Signature Version 4: every
// node sits behind a verifier recomputing the signature from static test credentials
// (403 otherwise). esdr, given those credentials by the standard AWS environment
// variables, probes both clusters and fences the old primary on a switchover, every
// request signed and none refused.
func TestSigV4Clusters(t *testing.T) {
	p := clusters(t, "opensearch2")
	t.Cleanup(func() { unfence(t, p.primary); unfence(t, p.standby) })
	var verifiers []*sigv4.Verifier
	front := func(c *testbed.Cluster) string {
		urls, vs := sigv4Front(t, c)
		verifiers = append(verifiers, vs...)
		return yamlList(urls)
	}
	primary, standby := front(p.primary), front(p.standby)
	sigv4Env(t)
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfg := fmt.Sprintf(`clusters:
  - {name: primary, nodes: %s, auth: {aws: {region: eu-west-1}}}
  - {name: standby, nodes: %s, auth: {aws: {region: eu-west-1, service: es}}}
health: {interval: 500ms, failure_threshold: 3, success_threshold: 3}
failover: {auto: true, hold_down: 1h, failback: manual}
state: {path: state.db}
admin: {listen: %s, token: %s}
log: {level: debug}
`, primary, standby, addr, esdrproc.Token)
	proc := esdrproc.NewT(t, esdrproc.Spec{Bin: esdrBin, Addr: addr, Config: cfg})
	proc.StartT(t)
	e := &esdr{Proc: proc, t: t}
	e.waitVerdict("standby", "up", detectBound)
	e.waitActive("primary", 1, detectBound)

	if out, code := e.cli("switchover", "--to", "standby"); code != 0 {
		t.Fatalf("switchover: %d\n%s", code, out)
	}
	e.waitActive("standby", 2, detectBound)
	e.eventually("the old primary fenced through its verifier", detectBound, func() bool {
		set, err := esOf(t, p.primary).ClusterSettings(context.Background())
		return err == nil && fmt.Sprint(set["cluster.blocks.read_only"]) == "true"
	})
	for _, v := range verifiers {
		if v.Refused.Load() != 0 || v.Passed.Load() == 0 {
			t.Errorf("verifier %s: %d requests passed, %d refused; want every request signed", v.URL, v.Passed.Load(), v.Refused.Load())
		}
	}
}

// TestSigV4Proxy: applications send unsigned requests to esdr's proxy, which signs each
// for the node it sends it to — the primary's with auth.aws (forwarded), the standby's
// with its proxy_auth.aws — through verifiers in front of every node: a document
// written and read back, a chunked _bulk, a client's own stale signature replaced; a
// body over max_signed_body answered 413 and never written; after a switchover the same
// requests signed for the standby's node. No request refused, no secret in esdr's log.
func TestSigV4Proxy(t *testing.T) {
	p := clusters(t, "opensearch2")
	t.Cleanup(func() { unfence(t, p.primary); unfence(t, p.standby) })
	primaryURLs, pv := sigv4Front(t, p.primary)
	standbyURLs, sv := sigv4Front(t, p.standby)
	sigv4Env(t)
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	proxyAddr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfg := fmt.Sprintf(`clusters:
  - {name: primary, nodes: %s, auth: {aws: {region: eu-west-1}}}
  - {name: standby, nodes: %s, auth: {aws: {region: eu-west-1}}, proxy_auth: {aws: {region: eu-west-1, service: es}}}
health: {interval: 500ms, failure_threshold: 3, success_threshold: 3}
failover: {auto: true, hold_down: 1h, failback: manual}
state: {path: state.db}
admin: {listen: %s, token: %s}
proxy: {listen: %s, forward_credentials: true, max_signed_body: 65536, failover_wait: 5s}
log: {level: debug}
`, yamlList(primaryURLs), yamlList(standbyURLs), addr, esdrproc.Token, proxyAddr)
	proc := esdrproc.NewT(t, esdrproc.Spec{Bin: esdrBin, Addr: addr, Config: cfg})
	proc.StartT(t)
	e := &esdr{Proc: proc, t: t, proxyURL: "http://" + proxyAddr}
	e.waitVerdict("standby", "up", detectBound)
	e.waitActive("primary", 1, detectBound)

	send := func(method, path, body string, chunked bool, header map[string]string) (int, string, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, e.proxyURL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Content-Type", "application/json")
		if strings.HasPrefix(path, "/_bulk") {
			req.Header.Set("Content-Type", "application/x-ndjson")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("X-Esdr-Cluster")
	}
	through := func(cluster string) {
		t.Helper()
		doc := "/esdr-sigv4/_doc/" + cluster
		// Right after a switchover the new primary may still carry its write block for
		// a moment: the proxy holds such a write for failover_wait, the test polls past it.
		e.eventually("a signed write to "+cluster, detectBound, func() bool {
			st, _, by := send("PUT", doc+"?refresh=true", `{"by":"`+cluster+`"}`, false, nil)
			return (st == http.StatusCreated || st == http.StatusOK) && by == cluster
		})
		if st, b, by := send("GET", doc, "", false, nil); st != http.StatusOK || by != cluster || !strings.Contains(b, `"by":"`+cluster+`"`) {
			t.Errorf("GET %s: %d from %q: %s", doc, st, by, b)
		}
		bulk := strings.Repeat(`{"index":{"_index":"esdr-sigv4"}}`+"\n"+`{"bulk":true}`+"\n", 200)
		if st, b, _ := send("POST", "/_bulk", bulk, true, nil); st != http.StatusOK || !strings.Contains(b, `"errors":false`) {
			t.Errorf("chunked _bulk on %s: %d %.300s", cluster, st, b)
		}
		stale := map[string]string{"X-Amz-Date": "20000101T000000Z", "X-Amz-Security-Token": "a-clients-token",
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDCLIENT/20000101/eu-west-1/es/aws4_request, SignedHeaders=host, Signature=00"}
		if st, b, _ := send("GET", "/esdr-sigv4/_search?q=by:"+cluster, "", false, stale); st != http.StatusOK {
			t.Errorf("a search carrying the client's own signature on %s: %d %s", cluster, st, b)
		}
	}

	t.Run("on the primary", func(t *testing.T) { through("primary") })
	t.Run("a body over max_signed_body", func(t *testing.T) {
		big := `{"pad":"` + strings.Repeat("x", 70000) + `"}`
		for _, chunked := range []bool{false, true} {
			st, b, _ := send("PUT", "/esdr-sigv4/_doc/too-big?refresh=true", big, chunked, nil)
			if st != http.StatusRequestEntityTooLarge || !strings.Contains(b, "esdr_body_too_large") || !strings.Contains(b, "proxy.max_signed_body") {
				t.Errorf("chunked=%v: %d %.300s, want 413 esdr_body_too_large naming proxy.max_signed_body", chunked, st, b)
			}
		}
		if st, _, err := esOf(t, p.primary).Do(context.Background(), http.MethodGet, "/esdr-sigv4/_doc/too-big", nil); err != nil || st != http.StatusNotFound {
			t.Errorf("the refused document on the primary: %d %v, want 404", st, err)
		}
	})
	if out, code := e.cli("switchover", "--to", "standby"); code != 0 {
		t.Fatalf("switchover: %d\n%s", code, out)
	}
	e.waitActive("standby", 2, detectBound)
	t.Run("on the standby after a switchover", func(t *testing.T) { through("standby") })

	for _, v := range append(pv, sv...) {
		if v.Refused.Load() != 0 {
			t.Errorf("verifier %s refused %d requests (passed %d); want every request signed", v.URL, v.Refused.Load(), v.Passed.Load())
		}
	}
	if out := e.Output(); strings.Contains(out, sigv4.SecretKey) || strings.Contains(out, "Signature=") {
		t.Error("a secret or a signature appears in esdr's log")
	}
}
