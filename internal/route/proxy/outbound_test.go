package proxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// TestTheOwnClientSendsTheFieldsTheHeaderRulesGive: the fields the h1 path writes
// straight from the client's header are those upstreamHeader and fieldsOf give (the
// net/http path's rules), for every case those rules treat specially.
func TestTheOwnClientSendsTheFieldsTheHeaderRulesGive(t *testing.T) {
	cases := map[string]http.Header{
		"plain":                         {"Accept": {"application/json"}, "User-Agent": {"perl"}},
		"hop-by-hop":                    {"Connection": {"keep-alive, X-Private"}, "X-Private": {"1"}, "Keep-Alive": {"300"}, "Te": {"trailers"}, "Upgrade": {"h2c"}, "Proxy-Authorization": {"Basic x"}},
		"a Connection name in any case": {"Connection": {" x-PRIVATE ,"}, "X-Private": {"1"}, "X-Kept": {"2"}},
		"expect and framing":            {"Expect": {"100-continue"}, "Content-Length": {"10"}, "Transfer-Encoding": {"chunked"}, "Trailer": {"X"}},
		"prior forwarding":              {"X-Forwarded-For": {"10.0.0.1", "10.0.0.2"}, "Via": {"1.0 lb"}},
		"client credentials":            {"Authorization": {"Basic Y2xpZW50OnB3"}},
		"idempotency keys":              {"Idempotency-Key": {"k1"}, "X-Idempotency-Key": {"k2"}},
		"repeated values":               {"Accept": {"a", "b"}, "X-Opaque-Id": {"id"}},
		"empty value":                   {"X-Empty": {""}},
	}
	for name, hdr := range cases {
		for _, auth := range []string{"", "Basic ZXNkcjpzZWNyZXQ="} {
			for _, k := range []kind{kindRead, kindWrite} {
				for _, remote := range []string{"192.0.2.7:5000", "@"} {
					t.Run(fmt.Sprintf("%s/auth=%t/%s/remote=%s", name, auth != "", k, remote), func(t *testing.T) {
						r := httptest.NewRequest(http.MethodPost, "/idx/_doc", nil)
						r.Header, r.RemoteAddr = hdr.Clone(), remote
						want := upstreamHeader(r, auth)
						if k == kindWrite {
							delete(want, "Idempotency-Key")
							delete(want, "X-Idempotency-Key")
						}
						var s scratch
						if got, exp := fieldText(s.upstream(r, auth, k)), fieldText(fieldsOf(want)); !slices.Equal(got, exp) {
							t.Fatalf("fields\n got %q\nwant %q", got, exp)
						}
					})
				}
			}
		}
	}
}

func fieldText(fs []h1.Field) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, string(f.Name)+": "+string(f.Value))
	}
	slices.Sort(out)
	return out
}

// TestTheOwnClientAsksForTheTargetTargetURLGives: the client's target is sent as it came
// only where rebuilding it would give the same bytes.
func TestTheOwnClientAsksForTheTargetTargetURLGives(t *testing.T) {
	targets := []string{"/", "/idx/_search", "/idx/_search?q=a:b&size=1", "/idx/_doc/a%2Fb", "/idx/_doc/a%41",
		"/idx/_search?", "/a b", "/idx/_doc/caf%C3%A9?pretty", "/idx/_doc/x#frag", "/_cat/indices?v&h=i,s"}
	for _, base := range []string{"http://n:9200", "http://n:9200/", "http://n:9200/prefix", "http://n:9200/prefix/"} {
		b, _ := url.Parse(base)
		for _, target := range targets {
			u, err := url.ParseRequestURI(target)
			if err != nil {
				continue
			}
			r := &http.Request{URL: u, RequestURI: target}
			if got, want := targetOf(b, r), targetURL(b, u).RequestURI(); got != want {
				t.Errorf("base %s, target %q: sent %q, targetURL gives %q", base, target, got, want)
			}
		}
	}
}
