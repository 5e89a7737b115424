package proxy

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawStatus sends raw on a fresh connection to addr and returns the first answer's
// status, or 0 when the connection closed without one.
func rawStatus(t *testing.T, addr, raw string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		return 0
	}
	method, _, _ := strings.Cut(raw, " ")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// differentialRequests are raw requests, plain and hostile, sent to both servers.
var differentialRequests = map[string]string{
	"get":                   "GET /idx/_search HTTP/1.1\r\nHost: a\r\n\r\n",
	"get query":             "GET /idx/_search?q=a%20b&size=1 HTTP/1.1\r\nHost: a\r\n\r\n",
	"escaped path":          "GET /idx%2Fx/_doc/%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n",
	"wildcard path":         "GET /logs-*/_search HTTP/1.1\r\nHost: a\r\n\r\n",
	"head":                  "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
	"lower-case names":      "GET / HTTP/1.1\r\nhost: a\r\nuser-agent: x\r\naccept: */*\r\n\r\n",
	"post length":           "POST /idx/_doc HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n{\"n\":1}",
	"post chunked":          "POST /idx/_doc HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{\"n\":1}\r\n0\r\n\r\n",
	"expect 100":            "POST /idx/_doc HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n{\"n\":1}",
	"http/1.0":              "GET / HTTP/1.0\r\n\r\n",
	"http/1.0 keep-alive":   "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"connection close":      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	"cl and te":             "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"te gzip":               "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
	"te chunked twice":      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
	"te in 1.0":             "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"two lengths":           "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	"same two lengths":      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
	"signed length":         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\na",
	"obs-fold":              "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
	"bare lf":               "GET / HTTP/1.1\nHost: a\n\n",
	"bare cr":               "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n",
	"space before colon":    "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	"control byte":          "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n",
	"no host":               "GET / HTTP/1.1\r\n\r\n",
	"two hosts":             "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"bad host":              "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"absolute uri":          "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
	"connect":               "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	"asterisk":              "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	"bad escape":            "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n",
	"fragment":              "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n",
	"http/2 preface":        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"unknown version":       "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
	"bad chunk size":        "POST /idx/_doc HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
	"header over limit":     "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("a", 80<<10) + "\r\n\r\n",
	"long head under limit": "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("a", 20<<10) + "\r\n\r\n",
}

// TestBothServersAnswerTheSameRawRequestsAlike: whatever net/http's server answers, the
// h1 server answers the same status, or refuses where net/http accepted.
func TestBothServersAnswerTheSameRawRequestsAlike(t *testing.T) {
	b := newBackend(t, "a1", nil)
	std := startProxy(t, Config{Server: ServerNetHTTP}, newRouter("east", 1, b.url()), &fakeProber{})
	own := startProxy(t, Config{Server: ServerH1}, newRouter("east", 1, b.url()), &fakeProber{})
	refusal := func(s int) bool { return s == 0 || s >= 400 && s < 500 || s == 501 }
	for name, raw := range differentialRequests {
		start := time.Now()
		want := rawStatus(t, std.px.Addr().String(), raw)
		mid := time.Now()
		got := rawStatus(t, own.px.Addr().String(), raw)
		if d1, d2 := mid.Sub(start), time.Since(mid); d1+d2 > time.Second {
			t.Logf("%s: net/http %s, h1 %s", name, d1, d2)
		}
		switch {
		case got == want:
			t.Logf("%-22s both %d", name, got)
		case refusal(got) && !refusal(want):
			t.Logf("%-22s h1 %d, net/http %d: stricter", name, got, want)
		default:
			t.Errorf("%s: h1 answered %d, net/http %d", name, got, want)
		}
	}
}
