package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/esdr/esdr/internal/epoch"
)

// upstreamFlag runs every test through the chosen upstream client when the test's own
// Config leaves it unset: `go test ./internal/route/proxy -args -upstream=net/http`.
var upstreamFlag = flag.String("upstream", "", "proxy.upstream_client for tests that do not set it (net/http or h1)")

// serverFlag runs every test through the chosen server when the test's own Config
// leaves it unset: `go test ./internal/route/proxy -args -server=net/http`.
var serverFlag = flag.String("server", "", "proxy.server for tests that do not set it (net/http or h1)")

func TestMain(m *testing.M) {
	flag.Parse()
	goleak.VerifyTestMain(m)
}

// fakeRouter is the control loop as the proxy sees it: an endpoint that tests switch.
type fakeRouter struct {
	mu  sync.Mutex
	ep  epoch.Endpoint
	err error
	ch  chan struct{}
}

func newRouter(cluster string, ep uint64, nodes ...string) *fakeRouter {
	return &fakeRouter{ep: epoch.Endpoint{Cluster: cluster, Epoch: ep, Nodes: nodes}, ch: make(chan struct{})}
}

func (f *fakeRouter) Endpoint(context.Context) (epoch.Endpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ep, f.err
}

func (f *fakeRouter) EpochChanged() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ch
}

func (f *fakeRouter) set(cluster string, ep uint64, nodes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ep = epoch.Endpoint{Cluster: cluster, Epoch: ep, Nodes: nodes}
	close(f.ch)
	f.ch = make(chan struct{})
}

func (f *fakeRouter) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// fakeProber records ProbeNow calls and runs onProbe, standing in for a decision.
type fakeProber struct {
	calls   atomic.Int32
	onProbe func(cluster string)
	once    sync.Once
}

func (f *fakeProber) ProbeNow(cluster string) {
	f.calls.Add(1)
	if f.onProbe != nil {
		f.once.Do(func() { go f.onProbe(cluster) })
	}
}

// backend is one node: an httptest server that counts requests and connections and
// answers {"node":name} unless a handler is given.
type backend struct {
	name  string
	srv   *httptest.Server
	hits  atomic.Int32
	conns atomic.Int32 // open connections
}

func newBackend(t testing.TB, name string, h http.HandlerFunc) *backend {
	t.Helper()
	b := &backend{name: name}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"node":"`+name+`"}`)
	}))
	b.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			b.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			b.conns.Add(-1)
		}
	}
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) url() string { return b.srv.URL }

// refusedURL is an address where nothing listens: connections are refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

type harness struct {
	px     *Proxy
	url    string
	client *http.Client
	reg    *prometheus.Registry
}

// startProxy runs a proxy on 127.0.0.1:0 until the test ends.
func startProxy(t testing.TB, cfg Config, r router, p prober) *harness {
	t.Helper()
	return startProxyLogged(t, cfg, r, p, slog.New(slog.DiscardHandler))
}

// startProxyLogged is startProxy logging to log.
func startProxyLogged(t testing.TB, cfg Config, r router, p prober, log *slog.Logger) *harness {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	if cfg.UpstreamClient == "" {
		cfg.UpstreamClient = *upstreamFlag
	}
	if cfg.Server == "" {
		cfg.Server = *serverFlag
	}
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	px, err := New(cfg, r, p, m, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- px.Serve(ctx) }()
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &harness{px: px, url: "http://" + px.Addr().String(), client: &http.Client{Transport: tr}, reg: reg}
}

type answer struct {
	status  int
	header  http.Header
	body    string
	cluster string
}

func (h *harness) do(t *testing.T, method, path, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b), cluster: resp.Header.Get(headerCluster)}
}

// esErrorType decodes an Elasticsearch-shaped error and checks its shape.
func esErrorType(t *testing.T, a answer) string {
	t.Helper()
	var e struct {
		Error struct {
			RootCause []struct{ Type, Reason string } `json:"root_cause"`
			Type      string                          `json:"type"`
			Reason    string                          `json:"reason"`
		} `json:"error"`
		Status int `json:"status"`
	}
	if err := json.Unmarshal([]byte(a.body), &e); err != nil {
		t.Fatalf("not Elasticsearch error JSON: %v: %q", err, a.body)
	}
	if e.Status != a.status || len(e.Error.RootCause) != 1 || e.Error.RootCause[0].Type != e.Error.Type || e.Error.Reason == "" {
		t.Errorf("error JSON shape: %+v (HTTP %d)", e, a.status)
	}
	return e.Error.Type
}

var errStateUnreadable = errors.New("state: unreadable")
