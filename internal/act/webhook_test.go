package act

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/esdr/esdr/internal/decide"
)

// receiver is a webhook endpoint that answers 503 to the first `busy` posts.
type receiver struct {
	mu    sync.Mutex
	busy  int
	got   []Payload
	posts int
	keys  []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	if rc.busy > 0 {
		rc.busy--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var p Payload
	if err := json.Unmarshal(b, &p); err != nil || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, p)
	rc.keys = append(rc.keys, r.Header.Get("Idempotency-Key"))
}

func TestWebhookOncePerTransitionEvenAfterResume(t *testing.T) {
	rc := &receiver{busy: 1}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	r := newRig(t)
	withHook := func(o *Options) {
		o.Webhook = &Webhook{URL: srv.URL + "/esdr", Header: http.Header{"Authorization": {"Bearer x"}}}
	}

	// Epoch 2: crash after the switches, before notify; the resumed plan notifies.
	ctx, cancel := context.WithCancel(context.Background())
	e := r.executor(t, withHook)
	e.afterStep = func(_ *Plan, i int) {
		if i == 3 {
			cancel()
		}
	}
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(ctx, s, d); !errors.Is(err, context.Canceled) {
		t.Fatalf("Act = %v", err)
	}
	if err := r.executor(t, withHook).Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Epoch 3: runs through; a restart afterwards resends nothing.
	s, d = commit(t, r.st, decide.ActSwitchover, "west", "east", 3)
	if err := r.executor(t, withHook).Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	if err := r.executor(t, withHook).Resume(context.Background()); err != nil {
		t.Fatal(err)
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 2 || rc.posts != 3 {
		t.Fatalf("received %d notifications in %d posts, want 2 (one retried 503)", len(rc.got), rc.posts)
	}
	want := Payload{Epoch: 2, From: "east", To: "west", Action: decide.ActFailover, Code: decide.CodeActiveDown, Reason: "east is down", At: t0}
	if rc.got[0] != want {
		t.Errorf("payload %+v, want %+v", rc.got[0], want)
	}
	if rc.got[1].Epoch != 3 || rc.keys[0] != "esdr-epoch-2" || rc.keys[1] != "esdr-epoch-3" {
		t.Errorf("second payload %+v, keys %q", rc.got[1], rc.keys)
	}
}

func TestWebhookClientErrorIsNotRetried(t *testing.T) {
	var posts int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	r := newRig(t)
	e := r.executor(t, func(o *Options) { o.Webhook = &Webhook{URL: srv.URL} })
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err == nil {
		t.Fatal("want the notify step to fail")
	}
	st := stored(t, r.st, 2).Steps[4]
	if st.Status != StatusFailed || st.Attempts != 1 || st.Error == "" || posts != 1 {
		t.Errorf("notify step %+v after %d posts", st, posts)
	}
}

// TestAWebhookURLNeverShowsItsToken: an error naming a webhook URL shows its scheme and
// host only, whatever part holds the token (path, query, user info), even when the URL
// is malformed.
func TestAWebhookURLNeverShowsItsToken(t *testing.T) {
	for _, raw := range []string{
		"https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n",
		"https://user:s3cr3tT0k3n@hooks.example.com/esdr",
		"https://hooks.example.com/esdr?token=s3cr3tT0k3n",
		"hooks.slack.com/services/T000/B000/s3cr3tT0k3n",
		"ftp://hooks.example.com/s3cr3tT0k3n",
		"https://hooks.example.com/%zz/s3cr3tT0k3n",
	} {
		w := &Webhook{URL: raw}
		err := w.validate()
		got := redactURL(raw)
		if strings.Contains(got, "s3cr3t") || (err != nil && strings.Contains(err.Error(), "s3cr3t")) {
			t.Errorf("%q shows its token: %q / %v", raw, got, err)
		}
	}
}
