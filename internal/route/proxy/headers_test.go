package proxy

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// referenceUpstreamHeader is upstreamHeader written the plain way (Clone, then Del, Set
// and Add): the allocation-saving version must build the same header.
func referenceUpstreamHeader(in *http.Request, auth string) http.Header {
	h := in.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, v := range h.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect"} {
		h.Del(name)
	}
	ip := strings.Split(in.RemoteAddr, ":")[0]
	if prior := h.Values("X-Forwarded-For"); len(prior) > 0 {
		ip = strings.Join(prior, ", ") + ", " + ip
	}
	h.Set("X-Forwarded-For", ip)
	h.Add("Via", "1.1 esdr")
	if auth != "" {
		h.Set("Authorization", auth)
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = nil
	}
	return h
}

func TestUpstreamHeaderMatchesReference(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		auth   string
	}{
		{"none", nil, ""},
		{"plain", http.Header{"Accept": {"application/json"}, "User-Agent": {"curl"}}, ""},
		{"auth replaced", http.Header{"Authorization": {"Basic eDp5"}}, "ApiKey aWQ6a2V5"},
		{"prior proxies", http.Header{"X-Forwarded-For": {"192.0.2.7", "192.0.2.8"}, "Via": {"1.1 lb"}}, ""},
		{"hop-by-hop", http.Header{"Connection": {"keep-alive, X-Private, x-forwarded-for"}, "X-Private": {"1"},
			"X-Forwarded-For": {"192.0.2.7"}, "Te": {"trailers"}, "Expect": {"100-continue"}, "X-Keep": {"a", "b"}}, "ApiKey k"},
		{"nil value kept", http.Header{"X-Nil": nil, "X-Empty": {}}, ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header = c.header
		got, want := upstreamHeader(r, c.auth), referenceUpstreamHeader(r, c.auth)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.name, got, want)
		}
		// The values share one backing array: appending to one field must not touch another.
		for k := range got {
			got[k] = append(got[k], "appended")
		}
		for k, vv := range got {
			if !reflect.DeepEqual(vv, append(slices.Clone(want[k]), "appended")) {
				t.Errorf("%s: %s = %q after appending to every field, want %q + appended", c.name, k, vv, want[k])
			}
		}
	}
}

func TestCopyResponseHeader(t *testing.T) {
	src := http.Header{"Connection": {"X-Node-Private"}, "X-Node-Private": {"1"}, "Keep-Alive": {"timeout=5"},
		"Content-Type": {"application/json"}, "Warning": {"a", "b"}, "X-Esdr-Epoch": {"99"}}
	dst := http.Header{}
	copyResponseHeader(dst, src, "east", "7", make([]string, valueCount(src)+2))
	want := http.Header{"Content-Type": {"application/json"}, "Warning": {"a", "b"},
		headerCluster: {"east"}, headerEpoch: {"7"}}
	if !reflect.DeepEqual(dst, want) {
		t.Errorf("got %v, want %v", dst, want)
	}
	dst["Warning"] = append(dst["Warning"], "c")
	if dst.Get(headerCluster) != "east" || src["Warning"][1] != "b" {
		t.Errorf("appending to a copied field changed another: %v / %v", dst, src)
	}
}

func TestAOneMebibyteHeaderIsAnswered431(t *testing.T) {
	b := newBackend(t, "a1", nil)
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	c, rd := dial(t, h)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		// The proxy may stop reading and answer before the whole header is sent.
		_, _ = c.Write([]byte("GET /idx/_search HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"))
	}()
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("read the answer to a 1 MiB header: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 1 MiB header: %d, want 431", resp.StatusCode)
	}
	if b.hits.Load() != 0 {
		t.Error("the request reached a node")
	}
}
