package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esdr/esdr/testbed/peers"
)

// securedFront is HAProxy in front of the primary's nodes answering 401 security_exception,
// as a secured Elasticsearch does, to any request whose Authorization is not in its list.
type securedFront struct {
	h    peers.HAProxy
	list string // the accepted Authorization values, one a line (an ACL file)
	URL  string
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func startSecuredFront(t *testing.T, p pair, accepted ...string) securedFront {
	t.Helper()
	var servers []peers.Server
	for i, u := range p.primary.URLs() {
		servers = append(servers, peers.Server{Name: fmt.Sprintf("n%d", i), Addr: strings.TrimPrefix(u, "http://")})
	}
	f := securedFront{list: filepath.Join(t.TempDir(), "auth.lst")}
	if err := os.WriteFile(f.list, []byte(strings.Join(accepted, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := `{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user"}],` +
		`"type":"security_exception","reason":"unable to authenticate user"},"status":401}`
	f.h = peers.StartHAProxyWith(t, servers, []string{
		fmt.Sprintf("acl authorized req.hdr(authorization) -m str -f %s", f.list),
		fmt.Sprintf(`http-request return status 401 content-type application/json string '%s' hdr WWW-Authenticate 'Basic realm="security"' unless authorized`, body),
	})
	f.URL = "http://" + f.h.Frontend
	return f
}

// revoke stops accepting an Authorization value, at once (HAProxy's runtime API), as a
// rotated password or an expired API key does.
func (f securedFront) revoke(t *testing.T, value string) {
	t.Helper()
	// The runtime API splits its arguments on spaces; an escaped space is part of one.
	if out := f.h.Command(t, fmt.Sprintf("del acl %s %s", f.list, strings.ReplaceAll(value, " ", `\ `))); strings.TrimSpace(out) != "" {
		t.Fatalf("del acl: %q", out)
	}
}

// TestRejectedCredentialsAreBlindNotDown: the primary, behind a front that checks
// credentials, stops accepting esdr's (a rotated password) while it serves its users. esdr says
// it is blind and holds: no failover, so no primary left unfenced and taking writes.
func TestRejectedCredentialsAreBlindNotDown(t *testing.T) {
	p := clusters(t, "opensearch2")
	front := startSecuredFront(t, p, basic("app", "app-secret"), basic("esdr", "esdr-secret"))
	s := grayDefaults()
	s.primaryNodes = []string{front.URL}
	s.PrimaryAuth = "{username: esdr, password: esdr-secret}"
	e := startSettled(t, p, s)
	e.waitVerdict("primary", "up", detectBound)

	front.revoke(t, basic("esdr", "esdr-secret"))
	// The users' view: with their credentials the primary still answers.
	req, _ := http.NewRequest(http.MethodGet, front.URL+"/_cluster/health", nil)
	req.SetBasicAuth("app", "app-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the front refuses the users' credentials: HTTP %d", resp.StatusCode)
	}
	holdsBlind(t, e, "credentials were refused (HTTP 401)", "clusters[].auth")
	if strings.Contains(e.Output(), "esdr-secret") || strings.Contains(fmt.Sprint(e.events()), "esdr-secret") {
		t.Error("the password appears in the log or the events")
	}
}
