package proxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esdr/esdr/internal/awssign"
	"github.com/esdr/esdr/testbed/sigv4"
)

// testToken is the session token of the signing tests' credentials: it must reach the
// node and appear nowhere else.
const testToken = "test-session-token-never-logged"

// testSigner signs with the verifier's static test credentials and testToken; no call
// to AWS.
func testSigner() *awssign.Signer { return signerWithToken(testToken) }

func signerWithToken(token string) *awssign.Signer {
	return awssign.WithCredentials(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: sigv4.AccessKey, SecretAccessKey: sigv4.SecretKey, SessionToken: token}, nil
	}), "eu-west-1", "es")
}

// seen is what a node behind a verifier received.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (s *seen) handler(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs, s.body = append(s.reqs, r), append(s.body, b)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"acknowledged":true}`)
}

func (s *seen) last(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("the node received nothing")
	}
	return s.reqs[len(s.reqs)-1], s.body[len(s.body)-1]
}

// signedNode is a node behind a SigV4 verifier; its URL is the verifier's.
func signedNode(t *testing.T) (*sigv4.Verifier, *seen, *backend) {
	t.Helper()
	s := &seen{}
	b := newBackend(t, "signed", s.handler)
	v, err := sigv4.Start(b.url(), "eu-west-1", "es")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v, s, b
}

// logBuffer is a debug-level log the tests search for secrets.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startSigning runs a proxy whose cluster "aws" signs with sg, at nodes, logging to log.
func startSigning(t *testing.T, cfg Config, sg *awssign.Signer, log *logBuffer, nodes ...string) *harness {
	t.Helper()
	cfg.Clusters = map[string]Upstream{"aws": {AWS: sg, Nodes: nodes}}
	h := startProxyLogged(t, cfg, newRouter("aws", 1, nodes...), &fakeProber{},
		slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return h
}

// TestForwardedRequestsAreSignedForTheNode: a GET and a PUT with a body pass the
// verifier, the node receiving the proxy's session token; the client's own signature,
// date, token and payload hash are dropped, even where the proxy's credentials have no
// token to put in place of the client's.
func TestForwardedRequestsAreSignedForTheNode(t *testing.T) {
	v, node, _ := signedNode(t)
	log := &logBuffer{}
	h := startSigning(t, Config{}, testSigner(), log, v.URL)

	if a := h.do(t, "GET", "/idx/_search?q=title:a+b&size=1", ""); a.status != 200 {
		t.Fatalf("GET: %d %s", a.status, a.body)
	}
	if a := h.do(t, "PUT", "/idx/_doc/1", `{"title":"signed"}`); a.status != 200 {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	if r, b := node.last(t); string(b) != `{"title":"signed"}` || r.ContentLength != int64(len(b)) {
		t.Errorf("the node got %q with Content-Length %d", b, r.ContentLength)
	}

	if r, _ := node.last(t); r.Header.Get("X-Amz-Security-Token") != testToken {
		t.Errorf("the node got token %q, want the proxy's", r.Header.Get("X-Amz-Security-Token"))
	}

	long := startSigning(t, Config{}, signerWithToken(""), log, v.URL) // long-term keys: no token
	req, _ := http.NewRequest("POST", long.url+"/idx/_doc", strings.NewReader(`{"n":1}`))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCLIENT/20000101/eu-west-1/es/aws4_request, SignedHeaders=host, Signature=00")
	req.Header.Set("X-Amz-Date", "20000101T000000Z")
	req.Header.Set("X-Amz-Security-Token", "the-clients-token")
	req.Header.Set("X-Amz-Content-Sha256", "not-the-hash")
	resp, err := long.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a request with the client's own signature: %d, want it signed again and passed", resp.StatusCode)
	}
	r, _ := node.last(t)
	if r.Header.Get("X-Amz-Date") == "20000101T000000Z" || r.Header.Values("X-Amz-Security-Token") != nil {
		t.Errorf("the node got X-Amz-Date %q and token %q: the client's were not replaced",
			r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Security-Token"))
	}
	if v.Passed.Load() != 3 || v.Refused.Load() != 0 {
		t.Errorf("verifier passed %d, refused %d; want 3 and 0", v.Passed.Load(), v.Refused.Load())
	}
	if strings.Contains(log.String(), testToken) || strings.Contains(log.String(), sigv4.SecretKey) {
		t.Errorf("credentials in the log:\n%s", log)
	}
}

// TestAChunkedBodyIsReadWholeAndSignedWithItsLength: the node gets the body with a
// Content-Length, signed over its hash.
func TestAChunkedBodyIsReadWholeAndSignedWithItsLength(t *testing.T) {
	v, node, _ := signedNode(t)
	h := startSigning(t, Config{}, testSigner(), &logBuffer{}, v.URL)
	body := strings.Repeat(`{"index":{}}`+"\n"+`{"n":1}`+"\n", 4000) // 84 KB
	req, _ := http.NewRequest("POST", h.url+"/_bulk", io.MultiReader(strings.NewReader(body)))
	req.ContentLength = -1 // chunked
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || v.Passed.Load() != 1 {
		t.Fatalf("chunked _bulk: %d, verifier passed %d refused %d", resp.StatusCode, v.Passed.Load(), v.Refused.Load())
	}
	r, b := node.last(t)
	if string(b) != body || r.ContentLength != int64(len(body)) || len(r.TransferEncoding) != 0 {
		t.Errorf("the node got %d bytes, Content-Length %d, Transfer-Encoding %v; want %d with a Content-Length",
			len(b), r.ContentLength, r.TransferEncoding, len(body))
	}
}

// TestABodyOverMaxSignedBodyIs413AndNothingIsSent: announced or chunked, a body over
// the limit is answered 413 in Elasticsearch's shape, naming the setting.
func TestABodyOverMaxSignedBodyIs413AndNothingIsSent(t *testing.T) {
	v, _, b := signedNode(t)
	h := startSigning(t, Config{MaxSignedBody: 1024}, testSigner(), &logBuffer{}, v.URL)
	if a := h.do(t, "PUT", "/idx/_doc/1", strings.Repeat("x", 1024)); a.status != 200 {
		t.Fatalf("a body of exactly max_signed_body: %d %s", a.status, a.body)
	}
	for _, chunked := range []bool{false, true} {
		req, _ := http.NewRequest("POST", h.url+"/_bulk", strings.NewReader(strings.Repeat("x", 4096)))
		if chunked {
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(strings.Repeat("x", 4096))), -1
		}
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := answer{status: resp.StatusCode, body: string(got)}
		if a.status != http.StatusRequestEntityTooLarge || esErrorType(t, a) != typeBodyTooLarge || !strings.Contains(a.body, "proxy.max_signed_body (1024 bytes)") {
			t.Errorf("chunked=%v: %d %s, want 413 %s naming proxy.max_signed_body", chunked, a.status, a.body, typeBodyTooLarge)
		}
	}
	if b.hits.Load() != 1 || v.Passed.Load()+v.Refused.Load() != 1 {
		t.Errorf("the node got %d requests (verifier %d), want only the one within the limit", b.hits.Load(), v.Passed.Load()+v.Refused.Load())
	}
}
