package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
)

// decode reads a chunked body from b and says how many bytes of b it took.
func decode(b []byte) ([]byte, int, error) {
	src := bytes.NewReader(b)
	br := bufio.NewReader(src)
	out, err := io.ReadAll(NewChunkedReader(br))
	return out, len(b) - src.Len() - br.Buffered(), err
}

func TestAChunkedBodyDecodesAndStopsAtItsEnd(t *testing.T) {
	body, n, err := decode([]byte("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nGET /next"))
	if err != nil || string(body) != "hello world" || n != len("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n") {
		t.Fatalf("%q, %d, %v", body, n, err)
	}
}

func TestMalformedChunksAreRefused(t *testing.T) {
	for name, b := range map[string]string{
		"bare LF after the size":  "5\nhello\r\n0\r\n\r\n",
		"bare LF after the data":  "5\r\nhello\n0\r\n\r\n",
		"bare CR in an extension": "5;a\rb\r\nhello\r\n0\r\n\r\n",
		"size with a sign":        "+5\r\nhello\r\n0\r\n\r\n",
		"size with 0x":            "0x5\r\nhello\r\n0\r\n\r\n",
		"space before ';'":        "5 ;\r\nhello\r\n0\r\n\r\n", // net/http refuses it (fuzzing found it)
		"size too long":           "10000000000000000\r\n",
		"data longer than size":   "3\r\nhello\r\n0\r\n\r\n",
		"no size":                 "\r\nhello\r\n0\r\n\r\n",
		"obs-fold in a trailer":   "0\r\nX: a\r\n b\r\n\r\n",
		"cut short":               "5\r\nhel",
	} {
		if _, _, err := decode([]byte(b)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "cut short" && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: %v, want unexpected EOF", name, err)
		}
	}
}

// FuzzAcceptedChunkedBodiesReadTheSameInNetHTTP: whatever ChunkedReader decodes without
// error, net/http decodes as a request body to the same bytes, and both stop at the
// same byte (the start of the next request on the connection).
func FuzzAcceptedChunkedBodiesReadTheSameInNetHTTP(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nGET / HTTP/1.1\r\n",
		"0\r\n\r\n",
		"A\r\n0123456789\r\n0\r\n\r\n",
		"5\nhello\r\n0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	const head = "POST / HTTP/1.1\r\nHost: es\r\nTransfer-Encoding: chunked\r\n\r\n"
	f.Fuzz(func(t *testing.T, b []byte) {
		mine, took, err := decode(b)
		if err != nil {
			return
		}
		src := bytes.NewReader(append([]byte(head), b...))
		br := bufio.NewReader(src)
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := io.ReadAll(req.Body)
		if err != nil {
			t.Fatalf("decoded what net/http refuses (%v): %q", err, b)
		}
		if tookTheirs := len(head) + len(b) - src.Len() - br.Buffered() - len(head); !bytes.Equal(mine, theirs) || took != tookTheirs {
			t.Fatalf("net/http %q ending at %d, h1 %q ending at %d\n%q", theirs, tookTheirs, mine, took, b)
		}
	})
}
