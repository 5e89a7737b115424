package snapshot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
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
	go func() { done <- s.Run(ctx, Forward) }()
	<-entered
	if _, err := s.Cycle(ctx, Forward); !errors.Is(err, ErrBusy) {
		t.Errorf("Cycle during a cycle: %v, want ErrBusy", err)
	}
	if err := s.Run(ctx, Forward); !errors.Is(err, ErrBusy) {
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

// TestTriggerStartsTheNextCycleNow: with an interval of an hour, Trigger makes Run start
// its next cycle at once; without Run, Trigger says there is nothing to wake.
func TestTriggerStartsTheNextCycleNow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":{"type":"cluster_block_exception","reason":"blocked"},"status":503}`)
	}))
	defer srv.Close()
	cycles := make(chan Report, 10)
	s, err := New(client(t, srv.URL), client(t, srv.URL), Options{
		Repository: Repository{Name: "r", Type: "fs"}, Indices: []string{"a"}, Interval: time.Hour,
		OnCycle: func(r Report) { cycles <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Trigger(); !errors.Is(err, ErrIdle) {
		t.Fatalf("Trigger without Run: %v, want ErrIdle", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, Forward) }()
	<-cycles // the first cycle, at once
	err = s.Trigger()
	for errors.Is(err, ErrBusy) { // the report is given before the cycle ends
		runtime.Gosched()
		err = s.Trigger()
	}
	if err != nil {
		t.Fatalf("Trigger between cycles: %v", err)
	}
	select {
	case <-cycles:
	case <-time.After(30 * time.Second): // a safety net: the interval is an hour
		t.Fatal("no cycle after Trigger")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
}
