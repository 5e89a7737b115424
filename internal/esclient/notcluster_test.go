package esclient

import (
	"errors"
	"strings"
	"testing"
)

func TestStatusErrorTellsAClusterFromSomethingElse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		code   int
		body   string
		want   ErrKind
		text   string
	}{
		{"a 404 without Elasticsearch's envelope is not a cluster", "GET", 404, "404 page not found\n", KindBlind, "answered HTTP 404 with a text body"},
		{"an nginx 404 page is not a cluster", "GET", 404, "<html><body>404</body></html>", KindBlind, "HTML"},
		{"a JSON 404 of another API is not a cluster", "GET", 404, `{"message":"no route"}`, KindBlind, "JSON body that is not Elasticsearch's"},
		{"a redirect is not a cluster", "GET", 301, "", KindBlind, "answered HTTP 301 with an empty body"},
		{"a 405 without the envelope is not a cluster", "GET", 405, "Method Not Allowed", KindBlind, "HTTP 405"},
		{"Elasticsearch's own 404 is an answer from a cluster", "GET", 404,
			`{"error":{"type":"index_not_found_exception","reason":"no such index"},"status":404}`, KindHTTPStatus, "index_not_found_exception"},
		{"Elasticsearch's 400 with a string error is an answer from a cluster", "GET", 400,
			`{"error":"no handler found for uri [/x] and method [GET]","status":400}`, KindHTTPStatus, "HTTP 400"},
		{"a 401 refuses esdr's credentials", "GET", 401, `{"error":{"type":"security_exception"},"status":401}`, KindBlind, "HTTP 401"},
		{"a proxy's 502 in front of dead nodes is a failure, not blind", "GET", 502, "<html>Bad Gateway</html>", KindHTTPStatus, "HTTP 502"},
		{"a 404 to HEAD has no body to judge: an index that does not exist", "HEAD", 404, "", KindHTTPStatus, "HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ne := statusError("http://n1:9200", tc.method, "/_cluster/health?x=1", tc.code, []byte(tc.body))
			if ne.Kind != tc.want || !strings.Contains(ne.Error(), tc.text) {
				t.Errorf("got %s %q, want %s containing %q", ne.Kind, ne.Error(), tc.want, tc.text)
			}
			if IsNotCluster(ne) != (tc.want == KindBlind && tc.code != 401) {
				t.Errorf("IsNotCluster = %v", IsNotCluster(ne))
			}
			var se *StatusError
			if !errors.As(ne, &se) || se.Code != tc.code {
				t.Errorf("the status is not kept for errors.As: %v", ne)
			}
		})
	}
}

func TestDecodeAnswerTellsGarbageFromAnotherService(t *testing.T) {
	var rows []struct{ ID string }
	for _, tc := range []struct {
		name string
		body string
		want ErrKind
	}{
		{"an HTML page is not a cluster", "<html></html>", KindBlind},
		{"plain text is not a cluster", "It works!", KindBlind},
		{"an empty body is not a cluster", "", KindBlind},
		{"JSON of another shape is not a cluster", `{"id":"x"}`, KindBlind},
		{"JSON cut short is a node answering badly", `[{"id":"x"`, KindBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ne := decodeAnswer("http://n1:9200", "GET /_cat/master", []byte(tc.body), &rows)
			if ne == nil || ne.Kind != tc.want {
				t.Errorf("got %v, want %s", ne, tc.want)
			}
		})
	}
}
