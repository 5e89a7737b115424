package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esdr/esdr/internal/awssign"
	"github.com/esdr/esdr/testbed/sigv4"
)

// hangUpNode reads each request whole, hands it over, and closes the connection
// without an answer: a read sent there is delivered and then fails.
func hangUpNode(t *testing.T) (string, <-chan *http.Request) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *http.Request, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if r, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case got <- r:
				default:
				}
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String(), got
}

// TestARetriedReadIsSignedAgainForTheSecondNode: the first node takes the signed read
// and hangs up; the retry on the second node carries a signature for that node's host,
// which its verifier accepts.
func TestARetriedReadIsSignedAgainForTheSecondNode(t *testing.T) {
	first, got := hangUpNode(t)
	v, _, _ := signedNode(t)
	h := startSigning(t, Config{}, testSigner(), &logBuffer{}, first, v.URL)
	if a := h.do(t, "POST", "/idx/_search", `{"query":{"match_all":{}}}`); a.status != 200 {
		t.Fatalf("a read retried on the second node: %d %s", a.status, a.body)
	}
	var r *http.Request
	select {
	case r = <-got:
	default:
		t.Fatal("the first node saw no request")
	}
	if r.Host != strings.TrimPrefix(first, "http://") || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		t.Errorf("the first node got Host %q, Authorization %q; want a signature for its own host", r.Host, r.Header.Get("Authorization"))
	}
	if v.Passed.Load() != 1 || v.Refused.Load() != 0 {
		t.Errorf("the second node's verifier passed %d, refused %d; want the retry signed for it", v.Passed.Load(), v.Refused.Load())
	}
}

// TestTheProxySignsForConfiguredNodesOnly: a router naming a node outside the cluster's
// configured nodes gets no signature from the proxy, which fails closed.
func TestTheProxySignsForConfiguredNodesOnly(t *testing.T) {
	v, _, b := signedNode(t)
	other := newBackend(t, "other", nil)
	cfg := Config{Clusters: map[string]Upstream{"aws": {AWS: testSigner(), Nodes: []string{v.URL}}}}
	h := startProxy(t, cfg, newRouter("aws", 1, other.url()), &fakeProber{})
	a := h.do(t, "GET", "/", "")
	if a.status != http.StatusServiceUnavailable || esErrorType(t, a) != typeUnavailable || !strings.Contains(a.body, "configured nodes") {
		t.Errorf("a node not configured: %d %s, want 503 %s", a.status, a.body, typeUnavailable)
	}
	if other.hits.Load()+b.hits.Load() != 0 {
		t.Error("a request was sent")
	}
	if _, err := New(Config{Listen: "127.0.0.1:0", Clusters: map[string]Upstream{"aws": {AWS: testSigner()}}},
		newRouter("aws", 1, v.URL), &fakeProber{}, nil, nil); err == nil || !strings.Contains(err.Error(), "aws: no nodes") {
		t.Errorf("New with aws and no nodes: %v", err)
	}
	if _, err := New(Config{Listen: "127.0.0.1:0", Clusters: map[string]Upstream{"aws": {AWS: testSigner(), Nodes: []string{v.URL},
		Auth: Credentials{APIKey: "a2V5"}}}}, newRouter("aws", 1, v.URL), &fakeProber{}, nil, nil); err == nil || !strings.Contains(err.Error(), "aws: set with") {
		t.Errorf("New with aws and an api key: %v", err)
	}
}

// TestNoCredentialsIs502AndNothingIsSent: a chain that yields no credentials fails the
// request before anything is sent; no credential reaches the answer, the log or metrics.
func TestNoCredentialsIs502AndNothingIsSent(t *testing.T) {
	v, _, b := signedNode(t)
	broken := awssign.WithCredentials(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	}), "eu-west-1", "es")
	log := &logBuffer{}
	h := startSigning(t, Config{}, broken, log, v.URL)
	a := h.do(t, "PUT", "/idx/_doc/1", `{"n":1}`)
	if a.status != http.StatusBadGateway || esErrorType(t, a) != typeSigningFailed || !strings.Contains(a.body, "no EC2 IMDS role") {
		t.Errorf("no credentials: %d %s, want 502 %s with the cause", a.status, a.body, typeSigningFailed)
	}
	if b.hits.Load() != 0 {
		t.Error("an unsigned request was sent")
	}

	good := startSigning(t, Config{}, testSigner(), log, v.URL)
	if a := good.do(t, "GET", "/", ""); a.status != 200 {
		t.Fatalf("GET: %d %s", a.status, a.body)
	}
	mfs, err := good.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, mf := range mfs {
		text.WriteString(mf.String())
	}
	for where, s := range map[string]string{"log": log.String(), "metrics": text.String(), "answer": a.body} {
		if strings.Contains(s, testToken) || strings.Contains(s, sigv4.SecretKey) || strings.Contains(s, "Signature=") {
			t.Errorf("credentials or a signature in the %s:\n%s", where, s)
		}
	}
}

// TestWholeReadsTheRestOfABodyOnce covers replay.whole: what it keeps, what it refuses.
func TestWholeReadsTheRestOfABodyOnce(t *testing.T) {
	body := strings.Repeat("0123456789", 10)
	for _, c := range []struct {
		name        string
		size, limit int64
		most        int64
		readFirst   int // read by an earlier attempt
		want        error
	}{
		{"announced, within", 100, 1 << 10, 100, 0, nil},
		{"chunked, within", -1, 1 << 10, 100, 0, nil},
		{"announced, over", 100, 1 << 10, 99, 0, errTooLarge},
		{"chunked, over", -1, 1 << 10, 99, 0, errTooLarge},
		{"the rest after a kept start", 100, 1 << 10, 100, 30, nil},
		{"a start streamed and not kept", -1, 10, 100, 30, errBodyGone},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newReplay(strings.NewReader(body), c.limit, c.size)
			if c.readFirst > 0 {
				_, _ = io.ReadFull(b.reader(), make([]byte, c.readFirst))
			}
			got, err := b.whole(c.most)
			if !errors.Is(err, c.want) || (err == nil && string(got) != body) {
				t.Fatalf("whole = %d bytes, %v; want %v", len(got), err, c.want)
			}
			if err == nil {
				again, _ := b.whole(c.most)
				rest, _ := io.ReadAll(b.reader())
				if string(again) != body || string(rest) != body || !b.canReplay() {
					t.Errorf("after whole: again %d bytes, a new attempt reads %d", len(again), len(rest))
				}
			}
		})
	}
}
