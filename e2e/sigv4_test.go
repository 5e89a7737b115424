package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/sigv4"
)

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
	front := func(urls []string) string {
		var out []string
		for _, u := range urls {
			v, err := sigv4.Start(u, "eu-west-1", "es")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(v.Close)
			verifiers = append(verifiers, v)
			out = append(out, v.URL)
		}
		return yamlList(out)
	}
	primary, standby := front(p.primary.URLs()), front(p.standby.URLs())
	t.Setenv("AWS_ACCESS_KEY_ID", sigv4.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sigv4.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
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
