package proxy

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

const (
	bigBody = 100 << 20 // a 100 MB _bulk, generated on the fly
	window  = 24 << 20  // the most the generator runs ahead of what the node has read
)

// lockstepBody produces n bytes but never more than window ahead of *received: if
// anything between it and the node held the whole body, it would stall.
type lockstepBody struct {
	left     int64
	sent     int64
	received *atomic.Int64
	ctx      context.Context
}

func (l *lockstepBody) Read(p []byte) (int, error) {
	if l.left == 0 {
		return 0, io.EOF
	}
	for l.sent-l.received.Load() > window {
		select {
		case <-l.ctx.Done():
			return 0, l.ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	n := int64(min(len(p), 64<<10))
	n = min(n, l.left)
	clear(p[:n])
	l.left -= n
	l.sent += n
	return int(n), nil
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestLargeRequestBodyStreams(t *testing.T) {
	var received atomic.Int64
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Body.Read(buf)
			received.Add(int64(n))
			if err != nil {
				break
			}
		}
		_, _ = io.WriteString(w, `{"errors":false}`)
	})
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before := heapInuse()
	req, err := http.NewRequestWithContext(ctx, "POST", h.url+"/_bulk", &lockstepBody{left: bigBody, received: &received, ctx: ctx})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = bigBody
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("100 MB body did not stream through (stalled with the proxy holding it?): %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || received.Load() != bigBody {
		t.Fatalf("status %d, node received %d of %d bytes", resp.StatusCode, received.Load(), bigBody)
	}
	after := heapInuse()
	t.Logf("heap in use: %d KiB before, %d KiB after", before>>10, after>>10)
}

func TestLargeResponseBodyStreams(t *testing.T) {
	var peak atomic.Uint64
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for sent := 0; sent < bigBody; sent += len(buf) {
			if _, err := w.Write(buf); err != nil {
				return
			}
			if sent%(8<<20) == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	})
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	before := heapInuse()
	resp, err := h.client.Get(h.url + "/idx/_search?scroll=1m")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != bigBody {
		t.Fatalf("read %d of %d bytes: %v", n, bigBody, err)
	}
	if grew := int64(peak.Load()) - int64(before); grew > 32<<20 {
		t.Errorf("heap grew by %d MiB while streaming a 100 MB response", grew>>20)
	}
}
