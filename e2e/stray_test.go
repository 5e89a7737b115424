package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// aimedFront stands where a configured node URL points: it forwards every request to
// one node, or, aimed at nothing, answers as a web server does for a path it does not
// route (a reverse proxy given a path prefix, a web server on the port): 404, HTML.
type aimedFront struct {
	URL    string
	target atomic.Pointer[url.URL]
}

func startAimedFront(t *testing.T, node string) *aimedFront {
	t.Helper()
	f := &aimedFront{}
	f.aim(t, node)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(f.target.Load()) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.target.Load() == nil {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center></body></html>"))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// aim forwards from now on to node, or to nothing ("").
func (f *aimedFront) aim(t *testing.T, node string) {
	t.Helper()
	if node == "" {
		f.target.Store(nil)
		return
	}
	u, err := url.Parse(node)
	if err != nil {
		t.Fatal(err)
	}
	f.target.Store(u)
}

// holdsBlind (a stray URL, refused credentials, an untrusted certificate) waits for the primary's blind verdict and an active-blind decision, then for
// six more blind probes (twice the failure threshold: evidence, not a sleep), and checks
// that esdr did not fail over and says what to fix.
func holdsBlind(t *testing.T, e *esdr, detail ...string) {
	t.Helper()
	e.waitVerdict("primary", "blind", detectBound)
	e.eventually("an active-blind decision", detectBound, func() bool {
		return countEvents(e.events(), state.EventDecided, decide.CodeActiveBlind) >= 1
	})
	before, _ := e.metric(`esdr_probe_results_total{cluster="primary",result="blind"}`)
	e.eventually("six more blind probes", detectBound, func() bool {
		v, _ := e.metric(`esdr_probe_results_total{cluster="primary",result="blind"}`)
		return v >= before+6
	})
	st := e.status()
	if st.State.Active != "primary" || st.State.Epoch != 1 {
		t.Fatalf("failed over while blind: %s@%d:%s", st.State.Active, st.State.Epoch, eventSummary(e.events()))
	}
	for _, c := range st.Clusters {
		if c.Name != "primary" {
			continue
		}
		for _, want := range detail {
			if !strings.Contains(c.Observation.Detail, want) {
				t.Errorf("status detail %q does not say %q", c.Observation.Detail, want)
			}
		}
	}
	if v, ok := e.metric(`esdr_cluster_health{cluster="primary",verdict="blind"}`); !ok || v != 1 {
		t.Errorf("esdr_cluster_health{verdict=blind} = %v (found %v): EsdrClusterBlind would not fire", v, ok)
	}
	if v, _ := e.metric(`esdr_failovers_total{reason="active-down"}`); v != 0 {
		t.Errorf("esdr_failovers_total = %v, want 0", v)
	}
}

// TestAPrimaryURLAnswering404IsBlindNotDown: the primary's URL, through a front, starts
// answering 404 (the front now routes by a path prefix esdr does not send), while the
// primary itself serves its users. esdr is not looking at a cluster: blind, an alert,
// no failover.
func TestAPrimaryURLAnswering404IsBlindNotDown(t *testing.T) {
	p := clusters(t, "opensearch2")
	front := startAimedFront(t, p.primary.URLs()[0])
	s := grayDefaults()
	s.primaryNodes = []string{front.URL}
	e := startSettled(t, p, s)
	e.waitVerdict("primary", "up", detectBound)

	front.aim(t, "")
	holdsBlind(t, e, "answered HTTP 404 with an HTML or XML body", "fix clusters[].nodes")

	front.aim(t, p.primary.URLs()[0])
	e.waitVerdict("primary", "up", detectBound)
}

// TestAPrimaryURLReachingTheStandbyIsBlindNotDown: the primary's only URL comes to reach
// the standby's node (a DNS name or a forwarder moved). What it says is the standby's
// health, not the primary's: blind, naming both clusters, no failover.
func TestAPrimaryURLReachingTheStandbyIsBlindNotDown(t *testing.T) {
	p := clusters(t, "opensearch2")
	front := startAimedFront(t, p.primary.URLs()[0])
	s := grayDefaults()
	s.primaryNodes = []string{front.URL}
	e := startSettled(t, p, s)
	e.waitVerdict("primary", "up", detectBound)

	front.aim(t, p.standby.URLs()[0])
	holdsBlind(t, e, "answers as another cluster than "+p.primary.Name, p.standby.Name)
}

// TestAStandbyNodeInThePrimaryListIsNotCounted: a typo puts a URL reaching the standby's
// node (another spelling of it: the configuration refuses one URL in two clusters) in the
// primary's list beside the primary's three. It is outvoted, left out and named: the
// primary is judged by its own nodes. On both engines: each says who it is in its own
// words (GET /, GET _nodes/_local).
func TestAStandbyNodeInThePrimaryListIsNotCounted(t *testing.T) {
	for _, engine := range []string{"opensearch2", "es7"} {
		t.Run(engine, func(t *testing.T) {
			p := clusters(t, engine)
			typo := startAimedFront(t, p.standby.URLs()[0])
			s := grayDefaults()
			s.primaryNodes = append([]string{typo.URL}, p.primary.URLs()...)
			e := startSettled(t, p, s)
			e.waitVerdict("primary", "up", detectBound)
			e.eventually("the stray named in the primary's detail", detectBound, func() bool {
				for _, c := range e.status().Clusters {
					if c.Name == "primary" {
						return strings.Contains(c.Observation.Detail, typo.URL+" answers as cluster "+p.standby.Name)
					}
				}
				return false
			})
			if st := e.status(); st.State.Active != "primary" || st.State.Epoch != 1 {
				t.Fatalf("moved: %s@%d:%s", st.State.Active, st.State.Epoch, eventSummary(e.events()))
			}
		})
	}
}

// TestAPrimaryListReachingTheStandbyIsBlind: the primary's whole list reaches the standby
// from the start. Neither check alone can tell (each sees one healthy cluster), but both
// settle on one cluster UUID: there is no standby. Both are blind, nothing moves.
func TestAPrimaryListReachingTheStandbyIsBlind(t *testing.T) {
	p := clusters(t, "opensearch2")
	typo := startAimedFront(t, p.standby.URLs()[0])
	s := grayDefaults()
	s.primaryNodes = []string{typo.URL}
	e := startEsdr(t, p, s)
	e.waitActive("primary", 1, detectBound)
	e.waitVerdict("standby", "blind", detectBound)
	holdsBlind(t, e, "the nodes of this cluster and of standby reach one cluster, "+p.standby.Name)
}
