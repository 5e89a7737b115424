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

// FuzzAcceptedResponsesReadTheSameInNetHTTP: whatever ParseResponse accepts for a GET or
// a HEAD, http.ReadResponse reads the same way — status, fields, framing, connection —
// and its body starts where ours does.
func FuzzAcceptedResponsesReadTheSameInNetHTTP(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, b []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		var r Response
		if ParseResponse(b, []byte(method), Limits{}, &r) != nil {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), &http.Request{Method: method})
		if err != nil {
			t.Fatalf("accepted what net/http refuses (%v): %q", err, b)
		}
		if resp.StatusCode != r.Status || resp.ProtoMinor != r.Minor || resp.Close == r.KeepAlive {
			t.Fatalf("read differently: net/http %d 1.%d close %v; h1 %+v\n%q", resp.StatusCode, resp.ProtoMinor, resp.Close, r, b)
		}
		ours := http.Header{}
		for _, fl := range r.Fields {
			if k := textproto.CanonicalMIMEHeaderKey(string(fl.Name)); k != "Transfer-Encoding" {
				ours[k] = append(ours[k], string(fl.Value))
			}
		}
		for k, vs := range resp.Header {
			if !slices.Equal(vs, ours[k]) {
				t.Fatalf("field %s: net/http %q, h1 %q\n%q", k, vs, ours[k], b)
			}
		}
		if r.Body != BodyNone && (r.Body == BodyChunked) != slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
			t.Fatalf("framing: net/http TE %q, h1 %d\n%q", resp.TransferEncoding, r.Body, b)
		}
		theirs, errTheirs := io.ReadAll(resp.Body)
		var body io.Reader = bytes.NewReader(b[r.HeadLen:])
		switch r.Body {
		case BodyNone:
			body = bytes.NewReader(nil)
		case BodyLength:
			body = io.LimitReader(body, r.ContentLength)
		case BodyChunked:
			body = httputil.NewChunkedReader(body)
		}
		mine, _ := io.ReadAll(body)
		if errTheirs == nil && !bytes.Equal(theirs, mine) {
			t.Fatalf("body: net/http %q, h1 %q\n%q", theirs, mine, b)
		}
	})
}
