package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/poll"
)

const drillIndex = "esdr-drill"

func esOf(t *testing.T, c *testbed.Cluster) *esclient.Client {
	t.Helper()
	es, err := esclient.New(c.URLs(), esclient.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func prepare(t *testing.T, p pair) {
	t.Helper()
	ctx := context.Background()
	if err := drill.Prepare(ctx, esOf(t, p.primary), drillIndex, 1); err != nil {
		t.Fatal(err)
	}
	if err := drill.Prepare(ctx, esOf(t, p.standby), drillIndex, 0); err != nil {
		t.Fatal(err)
	}
}

// requestCounts is how many searches and index operations a cluster has executed, from
// its own statistics: the proof that esdr sent it (or did not send it) traffic.
func requestCounts(t *testing.T, c *testbed.Cluster) (search, index int64) {
	t.Helper()
	search, index, err := drill.Executed(context.Background(), esOf(t, c))
	if err != nil {
		t.Fatal(err)
	}
	return search, index
}

// waitExecuted waits until c has executed n more searches and index operations than at
// the call: evidence that a load reaches it, where a sleep would only hope it did.
func waitExecuted(t *testing.T, c *testbed.Cluster, n int64, within time.Duration) {
	t.Helper()
	s0, i0 := requestCounts(t, c)
	poll.Eventually(t, fmt.Sprintf("%d more requests executed by %s", n, c.Name), within, func() bool {
		s, i := requestCounts(t, c)
		return s+i >= s0+i0+n
	})
}

func burst(t *testing.T, url string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*20*time.Millisecond+2*time.Second)
	defer cancel()
	_ = drill.Load{URL: url, Index: drillIndex, Workers: 1, Every: 5 * time.Millisecond, WriteEvery: 2}.Run(ctx)
}

// TestProxyFailover drives reads and writes through esdr's proxy while every primary
// node is killed: no read may fail, every acknowledged write must be on the cluster that
// acknowledged it, and every failed write must have been told so.
func TestProxyFailover(t *testing.T) {
	p := clusters(t, "opensearch2")
	prepare(t, p)
	s := defaults()
	s.proxy = true
	e := startSettled(t, p, s)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []drill.Sample, 1)
	go func() {
		done <- drill.Load{URL: e.proxyURL, Index: drillIndex, Workers: 4, Every: 10 * time.Millisecond, WriteEvery: 3}.Run(ctx)
	}()
	waitExecuted(t, p.primary, 50, detectBound) // the load runs through the proxy
	faultAt := time.Now()
	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	e.waitActive("standby", 2, detectBound)
	waitExecuted(t, p.standby, 50, detectBound) // and goes on, on the standby
	cancel()
	samples := <-done
	sum := drill.Summarize(samples, faultAt)
	t.Logf("through the proxy: %+v", sum)
	if sum.FailedReads != 0 {
		for _, x := range samples {
			if x.Op == drill.OpSearch && !x.OK() {
				t.Errorf("failed read at %s: %s", x.Start.Format("15:04:05.000"), x.Err)
			}
		}
		t.Fatalf("%d of %d reads failed", sum.FailedReads, sum.Reads)
	}
	if sum.Before != "primary" || sum.After != "standby" {
		t.Fatalf("served by %q then %q, want primary then standby", sum.Before, sum.After)
	}
	for _, x := range samples {
		if x.Op == drill.OpIndex && !x.OK() && x.Status == 0 {
			t.Errorf("write %s failed without an HTTP answer: %s", x.DocID, x.Err)
		}
	}
	restartCluster(t, p.primary)
	checkAcked(t, p, drillIndex, samples)

	t.Run("the old primary gets no request until a switchover makes it active", func(t *testing.T) {
		e.waitVerdict("primary", "up", detectBound)
		s0, i0 := requestCounts(t, p.primary)
		ss0, _ := requestCounts(t, p.standby)
		burst(t, e.proxyURL, 100)
		if s1, i1 := requestCounts(t, p.primary); s1 != s0 || i1 != i0 {
			t.Fatalf("old primary executed %d searches and %d index ops through esdr after failover", s1-s0, i1-i0)
		}
		// Evidence that the burst was served at all: "none on the primary" means something.
		if ss1, _ := requestCounts(t, p.standby); ss1 == ss0 {
			t.Fatal("the burst reached neither cluster")
		}
		if out, code := e.cli("switchover", "--to", "primary"); code != 0 {
			t.Fatalf("switchover: %d %s", code, out)
		}
		e.waitActive("primary", 3, detectBound)
		burst(t, e.proxyURL, 100)
		if s2, _ := requestCounts(t, p.primary); s2 == s0 {
			t.Fatal("after switchover the primary still gets no traffic")
		}
	})

	t.Run("absolute URI and CONNECT are refused", func(t *testing.T) {
		for _, req := range []string{
			"GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n",
			"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
		} {
			status := rawStatus(t, strings.TrimPrefix(e.proxyURL, "http://"), req)
			if status < 400 || status > 499 {
				t.Errorf("%q → %d, want 4xx", strings.SplitN(req, "\r\n", 2)[0], status)
			}
		}
	})

	t.Run("a client sending headers byte by byte is cut off", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.proxyURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		var werr error
		for _, b := range []byte("GET /_cluster/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200)) {
			if _, werr = conn.Write([]byte{b}); werr != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
			if time.Since(start) > 8*time.Second {
				break
			}
		}
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 1)
		_, rerr := conn.Read(buf)
		if werr == nil && rerr == nil {
			t.Fatal("slow client still connected and answered")
		}
		if time.Since(start) > 9*time.Second {
			t.Fatalf("cut off only after %s (read_header_timeout is 1s)", time.Since(start))
		}
	})
}

// rawStatus sends a raw HTTP request and returns the status code of the answer.
func rawStatus(t *testing.T, addr, raw string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer to %q: %v", raw, err)
	}
	var code int
	if _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &code); err != nil {
		t.Fatalf("status line %q: %v", line, err)
	}
	return code
}
