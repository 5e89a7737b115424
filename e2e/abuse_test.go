package e2e

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// esdrNofile is the file limit esdr runs under in TestIdleConnectionsCannotBlindEsdr: a
// host with a small LimitNOFILE. The proxy's derived cap is then (1024 − 256) ÷ 2.
const (
	esdrNofile = 1024
	esdrCap    = (esdrNofile - 256) / 2
)

// TestIdleConnectionsCannotBlindEsdr: clients open 10,000 connections to the proxy, each
// sends one request and keeps its connection idle, against an esdr whose file limit is
// 1024. Without a cap, esdr would run out of descriptors and its probes would fail with
// EMFILE (blind, no sight of the clusters). With it, the connections past the cap are
// answered 503 with Retry-After and closed, every probe keeps passing, nothing moves, and
// the proxy serves again once the clients go.
func TestIdleConnectionsCannotBlindEsdr(t *testing.T) {
	p := clusters(t, "opensearch2")
	s := defaults()
	s.proxy, s.plain, s.nofile = true, true, esdrNofile
	e := startSettled(t, p, s)
	if got := fileLimitOf(t, e.Pid()); got != esdrNofile {
		t.Fatalf("esdr runs with a file limit of %d, want %d", got, esdrNofile)
	}

	n := idleClients(t)
	addr := strings.TrimPrefix(e.proxyURL, "http://")
	blindBefore := e.blindProbes()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	req := []byte("GET /_cluster/health HTTP/1.1\r\nHost: esdr\r\n\r\n")
	dialFailed := 0
	// Bounded: an esdr out of descriptors stops accepting, and each dial then waits out
	// its timeout; the assertions below say why, instead of the test's own timeout.
	stopDialing := time.Now().Add(time.Minute)
	for range n {
		if time.Now().After(stopDialing) {
			break
		}
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			dialFailed++ // the listen backlog was full for a moment: the kernel's answer
			continue
		}
		_, _ = c.Write(req)
		conns = append(conns, c)
	}
	t.Logf("%d connections opened (%d dials failed)", len(conns), dialFailed)

	// Evidence that esdr has taken every connection: all but the cap were refused.
	e.eventually("the connections past the cap refused", time.Minute, func() bool {
		v, _ := e.metric("esdr_proxy_connections_refused_total")
		return v >= float64(len(conns)-esdrCap)
	})
	e.waitProbes("primary", 5, time.Minute)
	e.waitProbes("standby", 5, time.Minute)
	e.waitRounds(3, time.Minute)

	blindAfter := e.blindProbes()
	if blindAfter != blindBefore {
		t.Errorf("%v blind probe results under the load: esdr ran out of descriptors", blindAfter-blindBefore)
	}
	st := e.status()
	if st.State.Active != "primary" || st.State.Epoch != 1 {
		t.Errorf("active %s at epoch %d under the load, want primary at 1", st.State.Active, st.State.Epoch)
	}
	for _, c := range st.Clusters {
		if c.Observation.Verdict != "up" {
			t.Errorf("%s is %s under the load (%s), want up", c.Name, c.Observation.Verdict, c.Observation.Detail)
		}
	}

	// While the idle clients hold the cap, a new client is told to come back. Raw: the
	// answer may come before the request is written, which Go's Transport refuses to read.
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial past the cap: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Write(req)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	c.Close()
	if err != nil {
		t.Fatalf("a request past the cap: %v, want a 503 answer", err)
	}
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a request past the cap: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	e.eventually("the proxy serving once the idle clients left", time.Minute, func() bool {
		resp, err := http.Get(e.proxyURL + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// idleClients is how many connections the test opens: 10,000, or fewer when the test's
// own file limit would not allow them beside the test bed.
func idleClients(t *testing.T) int {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	n := min(10000, int(min(l.Cur, 1<<30))-2000)
	if n < 2*esdrCap {
		t.Skipf("the test's file limit (%d) leaves room for %d connections; it needs well over esdr's cap of %d", l.Cur, n, esdrCap)
	}
	return n
}

// fileLimitOf is a process's soft file limit.
func fileLimitOf(t *testing.T, pid int) int {
	t.Helper()
	var l unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &l); err != nil {
		t.Fatalf("file limit of pid %d: %v", pid, err)
	}
	return int(l.Cur)
}

// blindProbes is how many probe results of either cluster were blind: esdr could not
// look (out of descriptors, say), which is not the cluster's fault.
func (e *esdr) blindProbes() float64 {
	e.t.Helper()
	return e.metricSum(`esdr_probe_results_total{cluster="primary",result="blind"}`) +
		e.metricSum(`esdr_probe_results_total{cluster="standby",result="blind"}`)
}
