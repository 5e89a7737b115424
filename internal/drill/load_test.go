package drill

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/poll"
)

// TestTheLoadWritesIdsOfItsOwnDrill: every written id starts with the drill's prefix, so
// that an id an earlier drill wrote to the same index never answers for a lost write.
func TestTheLoadWritesIdsOfItsOwnDrill(t *testing.T) {
	var mu sync.Mutex
	var puts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			puts = append(puts, r.URL.Path)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []Sample, 1)
	l := Load{URL: srv.URL, Index: "esdr-drill", Workers: 2, Every: time.Millisecond, WriteEvery: 1, IDPrefix: "20261208T034900.000000-"}
	go func() { done <- l.Run(ctx) }()
	poll.Eventually(t, "ten writes", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(puts) >= 10 })
	cancel()
	samples := <-done
	mu.Lock()
	defer mu.Unlock()
	for _, p := range puts {
		if !strings.HasPrefix(p, "/esdr-drill/_doc/20261208T034900.000000-w") {
			t.Errorf("PUT %s: want an id starting with the drill's prefix", p)
		}
	}
	for _, s := range samples {
		if s.Op == OpIndex && !strings.HasPrefix(s.DocID, l.IDPrefix) {
			t.Errorf("sample's id %q lacks the prefix", s.DocID)
		}
	}
}
