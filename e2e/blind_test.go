package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/peers"
)

// securedFront starts HAProxy in front of the primary's nodes answering 401
// security_exception, as a secured Elasticsearch does, to any request without the
// user:password given; it returns the front's URL.
func securedFront(t *testing.T, p pair, user, password string) string {
	t.Helper()
	var servers []peers.Server
	for i, u := range p.primary.URLs() {
		servers = append(servers, peers.Server{Name: fmt.Sprintf("n%d", i), Addr: strings.TrimPrefix(u, "http://")})
	}
	good := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	body := `{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user"}],` +
		`"type":"security_exception","reason":"unable to authenticate user"},"status":401}`
	h := peers.StartHAProxyWith(t, servers, []string{
		fmt.Sprintf(`http-request return status 401 content-type application/json string '%s' hdr WWW-Authenticate 'Basic realm="security"' unless { req.hdr(authorization) -m str '%s' }`, body, good),
	})
	return "http://" + h.Frontend
}

// TestRejectedCredentialsAreBlindNotDown: the primary, behind a front that checks
// credentials, refuses esdr's (a rotated password) while it serves its users. esdr says
// it is blind and holds: no failover, so no primary left unfenced and taking writes.
func TestRejectedCredentialsAreBlindNotDown(t *testing.T) {
	p := clusters(t, "opensearch2")
	front := securedFront(t, p, "app", "current-secret")

	// The users' view: with the current credentials the primary answers.
	req, _ := http.NewRequest(http.MethodGet, front+"/_cluster/health", nil)
	req.SetBasicAuth("app", "current-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the front refuses the right credentials: HTTP %d", resp.StatusCode)
	}

	s := grayDefaults()
	s.primaryNodes = []string{front}
	s.primaryAuth = "{username: app, password: rotated-away}"
	e := startEsdr(t, p, s)
	e.waitActive("primary", 1, detectBound)
	e.waitVerdict("standby", "up", detectBound)
	e.waitVerdict("primary", "blind", detectBound)
	e.eventually("an active-blind decision", detectBound, func() bool {
		return countEvents(e.events(), state.EventDecided, decide.CodeActiveBlind) >= 1
	})

	// Evidence, not a sleep: twice the failure threshold of further blind probes.
	before, _ := e.metric(`esdr_probe_results_total{cluster="primary",result="blind"}`)
	e.eventually("six more blind probes", detectBound, func() bool {
		v, _ := e.metric(`esdr_probe_results_total{cluster="primary",result="blind"}`)
		return v >= before+6
	})
	st := e.status()
	if st.State.Active != "primary" || st.State.Epoch != 1 {
		t.Fatalf("failed over on its own rejected credentials: %s@%d:%s", st.State.Active, st.State.Epoch, eventSummary(e.events()))
	}
	var detail string
	for _, c := range st.Clusters {
		if c.Name == "primary" {
			detail = c.Observation.Detail
		}
	}
	if !strings.Contains(detail, "credentials were refused (HTTP 401)") || !strings.Contains(detail, "clusters[].auth") {
		t.Errorf("status does not say what to fix: %q", detail)
	}
	if strings.Contains(e.out.String(), "rotated-away") || strings.Contains(fmt.Sprint(e.events()), "rotated-away") {
		t.Error("the password appears in the log or the events")
	}
	if v, ok := e.metric(`esdr_cluster_health{cluster="primary",verdict="blind"}`); !ok || v != 1 {
		t.Errorf("esdr_cluster_health{verdict=blind} = %v (found %v)", v, ok)
	}
	if v, _ := e.metric(`esdr_failovers_total{reason="active-down"}`); v != 0 {
		t.Errorf("esdr_failovers_total = %v, want 0", v)
	}
}
