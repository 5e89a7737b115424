package snapshot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestRun checks that Run keeps cycling after failures until ctx ends, that a second Run
// or a Cycle during a cycle is refused with ErrBusy, and that Run then returns nil.
func TestRun(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered); <-release }) // the first request hangs until released
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":{"type":"cluster_block_exception","reason":"blocked"},"status":503}`)
	}))
	defer srv.Close()
	cycles := make(chan Report, 100)
	s, err := New(client(t, srv.URL), client(t, srv.URL), Options{
		Repository: Repository{Name: "r", Type: "fs"}, Indices: []string{"a"}, Interval: 5 * time.Millisecond,
		OnCycle: func(r Report) {
			select {
			case cycles <- r:
			default: // enough seen
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-entered
	if _, err := s.Cycle(ctx); !errors.Is(err, ErrBusy) {
		t.Errorf("Cycle during a cycle: %v, want ErrBusy", err)
	}
	if err := s.Run(ctx); !errors.Is(err, ErrBusy) {
		t.Errorf("second Run: %v, want ErrBusy", err)
	}
	if st := s.Stats(); !st.Running || st.Phase != "checking the repository" {
		t.Errorf("Stats during a cycle: %+v", st)
	}
	close(release)
	for range 3 {
		if r := <-cycles; r.Err == nil {
			t.Errorf("cycle against a blocked cluster succeeded: %+v", r)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	if st := s.Stats(); st.Cycles < 3 || st.Failures != st.Cycles || st.Running {
		t.Errorf("Stats after Run: %+v", st)
	}
}
