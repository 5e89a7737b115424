package h1

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
)

// sent is what a Conn writes for one request, captured from the other end of a pipe.
func sent(t *testing.T, method, target string, fields []Field, body []byte, chunked bool) []byte {
	t.Helper()
	a, b := net.Pipe()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, b); close(done) }()
	c := NewConn(a)
	length := int64(len(body))
	if chunked {
		length = -1
	}
	if err := c.WriteRequest(method, target, "es", fields, bytes.NewReader(body), length); err != nil {
		t.Fatal(err)
	}
	a.Close()
	<-done
	return out.Bytes()
}

// FuzzWhatAConnSendsIsOneMessageWithTheSameMeaning is the round trip: a request whose
// parts h1 accepts, written by a Conn, reads back — in h1 and in net/http — as exactly
// one message with the same method, target, fields and body, and nothing after it.
func FuzzWhatAConnSendsIsOneMessageWithTheSameMeaning(f *testing.F) {
	f.Add("POST", "/_bulk", "Content-Type", "application/x-ndjson", []byte("{}\n"), false)
	f.Add("PUT", "/idx/_doc/1?refresh=true", "X-Opaque-Id", "a b", []byte(`{"a":1}`), true)
	f.Add("GET", "/", "Accept", "*/*", []byte{}, false)
	f.Fuzz(func(t *testing.T, method, target, name, value string, body []byte, chunked bool) {
		head := method + " " + target + " HTTP/1.1\r\nHost: es\r\n" + name + ": " + value + "\r\n\r\n"
		var probe Request
		if ParseRequest([]byte(head), Limits{}, &probe) != nil || probe.ContentLength != 0 || probe.Chunked ||
			len(probe.Fields) != 2 || string(probe.Fields[1].Value) != value {
			return // parts h1 would refuse, or framing fields the caller never passes
		}
		wire := sent(t, method, target, []Field{{Name: []byte(name), Value: []byte(value)}}, body, chunked)
		var r Request
		if err := ParseRequest(wire, Limits{}, &r); err != nil {
			t.Fatalf("h1 refuses what a Conn sent (%v): %q", err, wire)
		}
		br := bufio.NewReader(bytes.NewReader(wire))
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("net/http refuses what a Conn sent (%v): %q", err, wire)
		}
		got, err := io.ReadAll(req.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body: %q (%v), sent %q\n%q", got, err, body, wire)
		}
		if req.Method != method || req.RequestURI != target || req.Header.Get(name) != value || req.Host != "es" {
			t.Fatalf("read back %s %s %s=%q host %q\n%q", req.Method, req.RequestURI, name, req.Header.Get(name), req.Host, wire)
		}
		if rest, _ := io.ReadAll(br); len(rest) > 0 {
			t.Fatalf("%d bytes after the message: %q", len(rest), rest)
		}
	})
}
