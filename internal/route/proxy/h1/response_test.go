package h1

import (
	"testing"
)

func TestAResponseBodyIsFramedByItsStatusMethodAndFields(t *testing.T) {
	for _, tc := range []struct {
		method, head string
		body         BodyKind
		length       int64
		keep         bool
	}{
		{"GET", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", BodyLength, 12, true},
		{"GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", BodyChunked, -1, true},
		{"GET", "HTTP/1.1 200 OK\r\n\r\n", BodyUntilClose, -1, false},
		{"GET", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", BodyLength, 1, false},
		{"GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", BodyLength, 1, true},
		{"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", BodyNone, 0, true},
		{"GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n", BodyNone, 0, true},
		{"GET", "HTTP/1.1 204 No Content\r\n\r\n", BodyNone, 0, true},
		{"GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", BodyLength, 0, false},
	} {
		var r Response
		if err := ParseResponse([]byte(tc.head), []byte(tc.method), Limits{}, &r); err != nil {
			t.Errorf("%s %q: %v", tc.method, tc.head, err)
			continue
		}
		if r.Body != tc.body || r.ContentLength != tc.length || r.KeepAlive != tc.keep {
			t.Errorf("%s %q: body %d length %d keep-alive %v, want %d %d %v", tc.method, tc.head,
				r.Body, r.ContentLength, r.KeepAlive, tc.body, tc.length, tc.keep)
		}
	}
}

func TestAmbiguousResponsesAreRefused(t *testing.T) {
	for name, head := range map[string]string{
		"CL and TE":            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
		"two CLs":              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n",
		"gzip coding":          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"TE in HTTP/1.0":       "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"CL on a 204":          "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
		"two-digit status":     "HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/2 status":        "HTTP/2 200 OK\r\n\r\n",
		"obs-fold":             "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
		"control in a reason":  "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n",
		"space before a colon": "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
	} {
		var r Response
		if err := ParseResponse([]byte(head), []byte("GET"), Limits{}, &r); err == nil {
			t.Errorf("%s: accepted, want a refusal", name)
		}
	}
}
