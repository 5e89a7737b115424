package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowClients and slowEvery are the slowloris on bodies: each client announces a _bulk
// and sends it a byte every slowEvery, never idle for proxy.body_timeout, far below
// proxy.min_body_rate.
const (
	slowClients = 300
	slowEvery   = 2 * time.Second
)

// TestSlowBodiesAreCut: a few hundred clients trickle their request bodies through the
// proxy, under each server loop. Each is answered 408 and cut once body_timeout of grace
// is spent below min_body_rate; none of their half-sent documents reaches an index;
// while they trickle the proxy serves a whole _bulk, and every probe keeps passing with
// no failover.
func TestSlowBodiesAreCut(t *testing.T) {
	p := clusters(t, "opensearch2")
	for _, server := range []string{"net/http", "h1"} {
		name := strings.ReplaceAll(server, "/", "_")
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each with its esdr: the two waits for body_timeout overlap
			s := defaults()
			s.proxy, s.plain = true, true
			s.extra = "  server: " + server + "\n  body_timeout: 10s\n" // continues the proxy block
			e := startSettled(t, p, s)
			blindBefore := e.blindProbes()
			// The test's own requests: no keep-alive connection left open to the proxy.
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
			// The index the whole _bulk writes to exists before: creating it can take
			// seconds on a busy test bed, and the _bulk must be served while the slow
			// clients trickle.
			whole := "whole-" + name
			req, _ := http.NewRequest(http.MethodPut, e.proxyURL+"/"+whole, nil)
			if resp, err := client.Do(req); err != nil || resp.StatusCode != 200 {
				t.Fatalf("create the index %s: %v %v", whole, resp, err)
			} else {
				resp.Body.Close()
			}

			var outcomes tally
			start := time.Now()
			addr := strings.TrimPrefix(e.proxyURL, "http://")
			for range slowClients {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Fatalf("dial the proxy: %v", err)
				}
				t.Cleanup(func() { c.Close() })
				go func() { outcomes.add(trickle(c)) }()
			}

			// While they trickle, the proxy serves a whole _bulk.
			bulk := "{\"index\":{\"_index\":\"" + whole + "\"}}\n{\"f\":1}\n"
			resp, err := client.Post(e.proxyURL+"/_bulk?refresh=true", "application/x-ndjson", strings.NewReader(bulk))
			if err != nil {
				t.Fatalf("a whole _bulk beside the slow clients: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"errors":false`) {
				t.Errorf("a whole _bulk beside the slow clients: %d %s", resp.StatusCode, body)
			}
			if cut, other, _ := outcomes.counts(); cut+other != 0 {
				t.Errorf("%d slow clients were already answered when the whole _bulk was: it was not served beside them", cut+other)
			}

			e.eventually("every slow client answered", 2*time.Minute, func() bool {
				cut, other, _ := outcomes.counts()
				return cut+other == slowClients
			})
			cut, other, why := outcomes.counts()
			t.Logf("%d slow clients answered 408 and cut, %d otherwise, within %s%s", cut, other, time.Since(start).Round(time.Second), why)
			if cut != slowClients {
				t.Errorf("%d of %d slow clients answered 408 and cut%s", cut, slowClients, why)
			}
			if v, _ := e.metric(`esdr_proxy_client_timeouts_total{what="body"}`); v != slowClients {
				t.Errorf(`esdr_proxy_client_timeouts_total{what="body"} = %v, want %d`, v, slowClients)
			}
			e.eventually("every connection to the proxy closed", time.Minute, func() bool {
				v, _ := e.metric("esdr_proxy_open_connections")
				return v == 0
			})

			e.waitProbes("primary", 5, time.Minute)
			e.waitProbes("standby", 5, time.Minute)
			e.waitRounds(3, time.Minute)
			if b := e.blindProbes(); b != blindBefore {
				t.Errorf("%v blind probe results under the slow clients", b-blindBefore)
			}
			st := e.status()
			if st.State.Active != "primary" || st.State.Epoch != 1 {
				t.Errorf("active %s at epoch %d after the slow clients, want primary at 1", st.State.Active, st.State.Epoch)
			}
			for _, c := range st.Clusters {
				if c.Observation.Verdict != "up" {
					t.Errorf("%s is %s after the slow clients (%s), want up", c.Name, c.Observation.Verdict, c.Observation.Detail)
				}
			}
			// Not one of the half-sent documents was indexed: their index was never made.
			resp, err = client.Head(e.proxyURL + "/slowloris")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("HEAD /slowloris: %d, want 404: a cut body was indexed", resp.StatusCode)
			}
		})
	}
}

// tally counts the slow clients' outcomes: cut as wanted, or anything else by what.
type tally struct {
	mu    sync.Mutex
	cut   int
	other map[string]int
}

func (t *tally) add(outcome string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if outcome == "" {
		t.cut++
		return
	}
	if t.other == nil {
		t.other = map[string]int{}
	}
	t.other[outcome]++
}

// counts returns the clients cut, the others, and the others by outcome.
func (t *tally) counts() (cut, other int, why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for w, n := range t.other {
		other += n
		why += fmt.Sprintf("; %d: %s", n, w)
	}
	return t.cut, other, why
}

// trickle announces a 64 KiB _bulk on c and sends a byte of it every slowEvery until
// the proxy answers. The outcome is "" when the answer is 408 esdr_client_timeout and the
// proxy then closed the connection, else what happened.
func trickle(c net.Conn) string {
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Minute))
	head := "POST /_bulk HTTP/1.1\r\nHost: esdr\r\nContent-Type: application/x-ndjson\r\nContent-Length: 65536\r\n\r\n"
	doc := "{\"index\":{\"_index\":\"slowloris\"}}\n{\"f\":\"" + strings.Repeat("x", 64<<10) // never ends
	if _, err := io.WriteString(c, head+doc[:40]); err != nil {
		return "sending the head: " + err.Error()
	}
	answered := make(chan struct{})
	go func() {
		for i := 40; ; i++ {
			select {
			case <-answered:
				return
			case <-time.After(slowEvery):
			}
			if _, err := c.Write([]byte{doc[i]}); err != nil {
				return
			}
		}
	}()
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	close(answered)
	if err != nil {
		return "no answer: " + err.Error()
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "esdr_client_timeout") {
		return fmt.Sprintf("answered %d %.200s", resp.StatusCode, body)
	}
	if _, err := br.ReadByte(); err == nil {
		return "408, then the connection stayed open"
	}
	return ""
}
