package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMirrorFilterPath (issue 16): clients that shrink answers with filter_path
// (`_bulk?filter_path=items.*._id`, a single write with `?filter_path=_id,result`) write
// through esdr's proxy in mirror mode while every primary node is killed -9. The
// filtered answer hides the item statuses esdr journals by; esdr must still journal
// every acknowledged write, so after the failover the standby holds them all, and each
// client got the answer shape it asked for.
func TestMirrorFilterPath(t *testing.T) {
	p := clusters(t, "opensearch2")
	freshMirrorIndex(t, p)
	e := startSettled(t, p, mirrorSettings())

	fc := &filteredClient{url: e.proxyURL, http: &http.Client{Timeout: 30 * time.Second}}
	fc.single(t, "single-before")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fc.bulks(ctx, t) }()
	moreDocs(t, p.primary, 50)
	if err := p.primary.Kill(); err != nil {
		cancel()
		t.Fatal(err)
	}
	e.waitActive("standby", 2, detectBound)
	moreDocs(t, p.standby, 20)
	cancel()
	<-done
	fc.single(t, "single-after")

	t.Logf("acknowledged %d writes under filter_path; %d bulks failed around the kill", len(fc.acked), fc.failed)
	if len(fc.acked) < 50 {
		t.Fatalf("only %d writes acknowledged", len(fc.acked))
	}
	checkHolds(t, p.standby, mirrorIndex, "the standby", fc.acked)
}

// filteredClient writes through the proxy asking for filtered answers, and checks each
// answer is exactly the shape it asked for.
type filteredClient struct {
	url    string
	http   *http.Client
	mu     sync.Mutex
	acked  []string
	failed int
}

func (fc *filteredClient) post(method, target, ctype, body string) (int, string, error) {
	req, err := http.NewRequest(method, fc.url+target, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", ctype)
	res, err := fc.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, string(b), err
}

// single writes one document by id with filter_path=_id,result; it must be acknowledged.
func (fc *filteredClient) single(t *testing.T, id string) {
	t.Helper()
	st, body, err := fc.post(http.MethodPut, "/"+mirrorIndex+"/_doc/"+id+"?filter_path=_id,result", "application/json", `{"n":-1}`)
	if want := fmt.Sprintf(`{"_id":%q,"result":"created"}`, id); err != nil || st != 201 || body != want {
		t.Fatalf("PUT %s?filter_path=_id,result: HTTP %d %s %v, want 201 %s", id, st, body, err, want)
	}
	fc.ack(id)
}

// bulks sends a _bulk of five items with filter_path=items.*._id every 50 ms until ctx
// ends. A 200 answer is all such a client knows: each of its items is acknowledged.
func (fc *filteredClient) bulks(ctx context.Context, t *testing.T) {
	for n := 0; ctx.Err() == nil; n++ {
		var body, want strings.Builder
		var ids []string
		want.WriteString(`{"items":[`)
		for k := range 5 {
			id := fmt.Sprintf("fp-%d-%d", n, k)
			ids = append(ids, id)
			fmt.Fprintf(&body, "{\"index\":{\"_index\":%q,\"_id\":%q}}\n{\"n\":%d,\"k\":%d}\n", mirrorIndex, id, n, k)
			if k > 0 {
				want.WriteByte(',')
			}
			fmt.Fprintf(&want, `{"index":{"_id":%q}}`, id)
		}
		want.WriteString(`]}`)
		st, got, err := fc.post(http.MethodPost, "/_bulk?filter_path=items.*._id", "application/x-ndjson", body.String())
		switch {
		case err != nil && st == 0:
			t.Errorf("bulk %d failed without an HTTP answer: %v", n, err) // esdr stays up: it always answers
		case st == 200 && got == want.String():
			fc.ack(ids...)
		case st == 200:
			t.Errorf("bulk %d: answer %s, want the filtered shape %s", n, got, want.String())
		default:
			fc.mu.Lock()
			fc.failed++ // an error answer around the kill: the client knows it failed
			fc.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (fc *filteredClient) ack(ids ...string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.acked = append(fc.acked, ids...)
}
