package h1

import (
	"errors"
	"strings"
	"testing"
)

func parse(t *testing.T, head string) (Request, error) {
	t.Helper()
	var r Request
	err := ParseRequest([]byte(head), Limits{}, &r)
	return r, err
}

func TestAPlainGetIsReadWithItsHostAndNoBody(t *testing.T) {
	r, err := parse(t, "GET /idx/_search?q=a HTTP/1.1\r\nHost: es\r\nAccept: */*\r\n\r\nrest")
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Method) != "GET" || string(r.Target) != "/idx/_search?q=a" || string(r.Host) != "es" ||
		r.ContentLength != 0 || r.Chunked || !r.KeepAlive || r.HeadLen != len("GET /idx/_search?q=a HTTP/1.1\r\nHost: es\r\nAccept: */*\r\n\r\n") {
		t.Fatalf("%+v", r)
	}
}

func TestBodiesAreFramedByOneContentLengthOrExactlyChunked(t *testing.T) {
	r, err := parse(t, "POST /_bulk HTTP/1.1\r\nHost: es\r\nContent-Length: 42\r\n\r\n")
	if err != nil || r.ContentLength != 42 || r.Chunked {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = parse(t, "POST /_bulk HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: Chunked\r\n\r\n")
	if err != nil || !r.Chunked || r.ContentLength != -1 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestAnIncompleteHeadAsksForMoreAndAnOverlongOneIsRefused(t *testing.T) {
	if _, err := parse(t, "GET / HTTP/1.1\r\nHost: es\r\n"); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err %v, want ErrIncomplete", err)
	}
	var r Request
	long := "GET / HTTP/1.1\r\nHost: es\r\nX: " + strings.Repeat("a", 2000) + "\r\n\r\n"
	if err := ParseRequest([]byte(long), Limits{MaxHeadBytes: 1024}, &r); !errors.Is(err, ErrHeadTooLarge) {
		t.Fatalf("err %v, want ErrHeadTooLarge", err)
	}
}

// TestSmugglingCasesAreRefused: each of these can be read two ways by two parsers in a
// chain (RFC 9112 6.3, 11.2; PortSwigger's CL.TE, TE.CL and TE.TE families).
func TestSmugglingCasesAreRefused(t *testing.T) {
	for name, head := range map[string]string{
		"CL.TE":                        "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n",
		"TE.CL":                        "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n",
		"TE.TE, a second coding":       "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
		"TE.TE, twice chunked":         "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"TE list":                      "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"TE with a leading comma":      "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: ,chunked\r\n\r\n",
		"TE misspelt":                  "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: chunkedx\r\n\r\n",
		"TE in HTTP/1.0":               "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		"TE with a space before colon": "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding : chunked\r\n\r\n",
		"CL with a plus":               "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: +1\r\n\r\n",
		"CL negative":                  "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: -1\r\n\r\n",
		"CL twice, equal":              "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"CL twice, different":          "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"CL list":                      "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: 1, 1\r\n\r\n",
		"CL hex":                       "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: 0x10\r\n\r\n",
		"CL too long":                  "POST / HTTP/1.1\r\nHost: es\r\nContent-Length: 9999999999999999999999\r\n\r\n",
		"obs-fold":                     "POST / HTTP/1.1\r\nHost: es\r\nX: a\r\n b\r\n\r\n",
		"obs-fold of TE":               "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
		"bare LF in a field":           "GET / HTTP/1.1\r\nHost: es\nX: a\r\n\r\n",
		"bare CR in a field":           "GET / HTTP/1.1\r\nHost: es\rX: a\r\n\r\n",
		"NUL in a value":               "GET / HTTP/1.1\r\nHost: es\r\nX: a\x00b\r\n\r\n",
		"no Host":                      "GET / HTTP/1.1\r\n\r\n",
		"two Hosts":                    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"absolute-form target":         "GET http://evil/ HTTP/1.1\r\nHost: es\r\n\r\n",
		"CONNECT authority-form":       "CONNECT evil:443 HTTP/1.1\r\nHost: evil:443\r\n\r\n",
		"asterisk-form":                "OPTIONS * HTTP/1.1\r\nHost: es\r\n\r\n",
		"HTTP/2 preface":               "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"space in the target":          "GET /a b HTTP/1.1\r\nHost: es\r\n\r\n",
		"lowercase protocol":           "GET / http/1.1\r\nHost: es\r\n\r\n",
		"unknown Expect":               "POST / HTTP/1.1\r\nHost: es\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n",
	} {
		if _, err := parse(t, head); err == nil || errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: accepted (%v), want a refusal", name, err)
		}
	}
}

func TestParsingASmallGetAllocatesNothingOnceTheFieldsAreGrown(t *testing.T) {
	head := []byte("GET /idx/_search HTTP/1.1\r\nHost: es\r\nAccept: */*\r\nUser-Agent: t\r\n\r\n")
	var r Request
	if err := ParseRequest(head, Limits{}, &r); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = ParseRequest(head, Limits{}, &r) }); n != 0 {
		t.Fatalf("%.0f allocations per parse, want 0", n)
	}
}

func TestHTTP10KeepsTheConnectionOnlyWhenAskedAndCloseWins(t *testing.T) {
	for head, keep := range map[string]bool{
		"GET / HTTP/1.0\r\n\r\n":                                    false,
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n":          true,
		"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n":   false,
		"GET / HTTP/1.1\r\nHost: es\r\nConnection: close\r\n\r\n":   false,
		"GET / HTTP/1.1\r\nHost: es\r\nConnection: Upgrade\r\n\r\n": true,
	} {
		r, err := parse(t, head)
		if err != nil || r.KeepAlive != keep {
			t.Errorf("%q: keep-alive %v (%v), want %v", head, r.KeepAlive, err, keep)
		}
	}
}
