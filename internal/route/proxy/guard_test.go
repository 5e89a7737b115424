package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends a request as raw bytes and reads the answer.
func rawRequest(t *testing.T, addr, raw string) answer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestNotAnOpenProxy(t *testing.T) {
	b := newBackend(t, "a1", nil)
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	addr := h.px.Addr().String()
	cases := []struct {
		name, raw string
		status    int
		typ       string
	}{
		{"absolute URI", "GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400, typeBadRequest},
		{"absolute URI to a node", "GET " + b.url() + "/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, typeBadRequest},
		{"CONNECT", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", 405, typeMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := rawRequest(t, addr, c.raw)
			if a.status != c.status || esErrorType(t, a) != c.typ {
				t.Errorf("got %d %s", a.status, a.body)
			}
		})
	}
	if b.hits.Load() != 0 {
		t.Errorf("node got %d requests", b.hits.Load())
	}
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	b := newBackend(t, "a1", nil)
	h := startProxy(t, Config{ReadHeaderTimeout: 200 * time.Millisecond}, newRouter("east", 1, b.url()), &fakeProber{})
	c, err := net.Dial("tcp", h.px.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200) + "\r\n\r\n"
	cut := false
	for i := 0; i < len(req) && !cut; i++ {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			cut = true
			break
		}
		time.Sleep(20 * time.Millisecond)
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		var one [512]byte
		if _, err := c.Read(one[:]); err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				cut = true // EOF or reset: the proxy closed the connection
			}
		}
	}
	if !cut {
		t.Fatal("the whole request went through byte by byte; want the header timeout to cut it")
	}
	if b.hits.Load() != 0 {
		t.Error("the slow request reached the node")
	}
}

func TestHopByHopHeadersAndForwardedFor(t *testing.T) {
	seen := make(chan http.Header, 1)
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		w.Header().Set("Connection", "X-Node-Private")
		w.Header().Set("X-Node-Private", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = io.WriteString(w, "{}")
	})
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	a := rawRequest(t, h.px.Addr().String(), "GET /idx/_search HTTP/1.1\r\nHost: x\r\n"+
		"Connection: keep-alive, X-Client-Private\r\nX-Client-Private: 1\r\nKeep-Alive: timeout=5\r\n"+
		"Proxy-Authorization: Basic eDp5\r\nTE: trailers\r\nUpgrade: websocket\r\nProxy-Connection: keep-alive\r\n"+
		"X-Forwarded-For: 192.0.2.7\r\nX-Opaque-Id: abc\r\n\r\n")
	if a.status != 200 {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	got := <-seen
	for _, name := range []string{"X-Client-Private", "Keep-Alive", "Proxy-Authorization", "Te", "Upgrade", "Proxy-Connection"} {
		if v := got.Get(name); v != "" {
			t.Errorf("node received hop-by-hop %s: %q", name, v)
		}
	}
	if v := got.Get("X-Forwarded-For"); v != "192.0.2.7, 127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the client's list with 127.0.0.1 appended", v)
	}
	if got.Get("X-Opaque-Id") != "abc" || got.Get("Via") != "1.1 esdr" {
		t.Errorf("end-to-end headers: X-Opaque-Id %q, Via %q", got.Get("X-Opaque-Id"), got.Get("Via"))
	}
	if a.header.Get("X-Node-Private") != "" || a.header.Get("Keep-Alive") != "" {
		t.Errorf("client received hop-by-hop headers: %v", a.header)
	}
	if a.header.Get("X-Elastic-Product") != "Elasticsearch" || a.header.Get(headerCluster) != "east" {
		t.Errorf("client headers: %v", a.header)
	}
}

func TestConfiguredCredentialsReplaceTheClients(t *testing.T) {
	seen := make(chan string, 1)
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Get("Authorization") })
	cfg := Config{Clusters: map[string]Upstream{"east": {Auth: Credentials{APIKey: "aWQ6a2V5"}}}}
	h := startProxy(t, cfg, newRouter("east", 1, b.url()), &fakeProber{})
	h.do(t, "GET", "/", "")
	if got := <-seen; got != "ApiKey aWQ6a2V5" {
		t.Errorf("Authorization = %q", got)
	}
	var c Credentials = Credentials{Username: "u", Password: "secret"}
	for _, s := range []string{c.String(), c.GoString(), c.LogValue().String()} {
		if strings.Contains(s, "secret") {
			t.Errorf("credentials printed: %s", s)
		}
	}
}

func TestListenOnATakenPortFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	px, err := New(Config{Listen: ln.Addr().String()}, newRouter("east", 1, "http://127.0.0.1:1"), &fakeProber{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Listen(); err == nil || !strings.Contains(err.Error(), "proxy: listen "+ln.Addr().String()) {
		t.Errorf("Listen on a taken port: %v", err)
	}
}
