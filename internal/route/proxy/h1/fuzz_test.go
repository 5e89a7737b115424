package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"slices"
	"testing"
)

// FuzzAcceptedRequestsReadTheSameInNetHTTP is the differential test: net/http is the
// referee. Whatever ParseRequest accepts, http.ReadRequest accepts too, with the same
// method, target, host, fields (net/http moves Host and Transfer-Encoding out of them),
// framing and connection handling, and the body it reads
// starts where ours does. ParseRequest may refuse what net/http takes, never the reverse.
func FuzzAcceptedRequestsReadTheSameInNetHTTP(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: es\r\n\r\n",
		"GET /idx/_search?q=a%20b HTTP/1.1\r\nHost: es:9200\r\nAccept: */*\r\nX-Many: 1\r\nX-Many: 2\r\n\r\n",
		"POST /_bulk HTTP/1.1\r\nHost: es\r\nContent-Length: 5\r\nContent-Type: application/x-ndjson\r\n\r\nhelloGET / HTTP/1.1\r\n",
		"POST /_bulk HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST /_bulk HTTP/1.1\r\nHost: es\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: es\r\nConnection: close\r\n\r\n",
		"DELETE /idx/_doc/1 HTTP/1.1\r\nHost: es\r\nX: \t a b \t\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: es\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX",
		"GET / HTTP/1.1\r\nHost: es\r\nX: a\r\n b\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Request
		if ParseRequest(b, Limits{}, &r) != nil {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatalf("accepted what net/http refuses (%v): %q", err, b)
		}
		if req.Method != string(r.Method) || req.RequestURI != string(r.Target) || req.Host != string(r.Host) ||
			req.ProtoMinor != r.Minor || req.Close == r.KeepAlive {
			t.Fatalf("read differently: net/http %s %q host %q 1.%d close %v; h1 %+v\n%q",
				req.Method, req.RequestURI, req.Host, req.ProtoMinor, req.Close, r, b)
		}
		ours := http.Header{}
		for _, fl := range r.Fields {
			if k := textproto.CanonicalMIMEHeaderKey(string(fl.Name)); k != "Host" && k != "Transfer-Encoding" {
				ours[k] = append(ours[k], string(fl.Value))
			}
		}
		for k, vs := range req.Header {
			if !slices.Equal(vs, ours[k]) {
				t.Fatalf("field %s: net/http %q, h1 %q\n%q", k, vs, ours[k], b)
			}
		}
		if len(ours) != len(req.Header) {
			t.Fatalf("fields: net/http %v, h1 %v\n%q", req.Header, ours, b)
		}
		if r.Chunked != slices.Equal(req.TransferEncoding, []string{"chunked"}) || !r.Chunked && req.ContentLength != r.ContentLength {
			t.Fatalf("framing: net/http TE %q CL %d, h1 chunked %v CL %d\n%q", req.TransferEncoding, req.ContentLength, r.Chunked, r.ContentLength, b)
		}
		theirs, errTheirs := io.ReadAll(req.Body)
		var body io.Reader = bytes.NewReader(b[r.HeadLen:])
		if r.Chunked {
			body = httputil.NewChunkedReader(body)
		} else {
			body = io.LimitReader(body, r.ContentLength)
		}
		mine, errMine := io.ReadAll(body)
		if r.Chunked {
			// The chunked body's decoder is not this package's: only where the body
			// starts is compared (net/http also reads the trailer section).
			if errTheirs == nil && !bytes.Equal(theirs, mine) {
				t.Fatalf("chunked body: net/http %q, h1's start %q (%v)\n%q", theirs, mine, errMine, b)
			}
			return
		}
		if !bytes.Equal(theirs, mine) || (errTheirs == nil) != (int64(len(mine)) == r.ContentLength) {
			t.Fatalf("body: net/http %q (%v), h1 %q (%v)\n%q", theirs, errTheirs, mine, errMine, b)
		}
	})
}
