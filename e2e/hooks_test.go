package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/esdr/esdr/internal/state"
)

// TestPreHookVetoAndWebhook: a pre hook that exits 1 stops a failover before anything is
// stored, with an event naming the hook; once it allows, the failover happens and the
// webhook receives exactly one notification for it.
func TestPreHookVetoAndWebhook(t *testing.T) {
	p := clusters(t, "opensearch2")
	dir := t.TempDir()
	allow := filepath.Join(dir, "allow")
	hook := filepath.Join(dir, "pre-failover")
	script := fmt.Sprintf("#!/bin/sh\n[ -f %s ] && exit 0\necho \"refusing $ESDR_ACTION $ESDR_FROM -> $ESDR_TO\" >&2\nexit 1\n", allow)
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notes []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4096)
		n, _ := r.Body.Read(b)
		mu.Lock()
		notes = append(notes, string(b[:n]))
		mu.Unlock()
	}))
	defer recv.Close()
	s := defaults()
	s.extra = fmt.Sprintf("hooks:\n  pre:\n    command: [%s]\n    timeout: 5s\n    veto_hold: 1s\n  webhook:\n    url: %s\n", hook, recv.URL)
	e := startSettled(t, p, s)
	if err := p.primary.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.primary.Resume() })
	e.eventually("a refusal naming the hook", detectBound, func() bool {
		for _, ev := range e.events() {
			if ev.Kind == state.EventRefused && strings.Contains(ev.Message, "pre-failover") {
				return true
			}
		}
		return false
	})
	if st := e.status(); st.State.Active != "primary" || st.State.Epoch != 1 {
		t.Fatalf("vetoed failover moved traffic: %s@%d", st.State.Active, st.State.Epoch)
	}
	if err := os.WriteFile(allow, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitActive("standby", 2, detectBound)
	e.eventually("the webhook notified", detectBound, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(notes) > 0
	})
	// The failover's plan is over (no step of it will run again) and esdr decided several
	// more times after it: still one notification.
	e.eventually("the failover's plan finished", detectBound, func() bool {
		pl := e.status().Plan
		return pl != nil && pl.Epoch == 2 && !pl.Finished.IsZero()
	})
	e.waitRounds(4, detectBound)
	mu.Lock()
	defer mu.Unlock()
	if len(notes) != 1 || !strings.Contains(notes[0], `"to":"standby"`) || !strings.Contains(notes[0], `"epoch":2`) {
		t.Fatalf("webhook got %d notifications: %q", len(notes), notes)
	}
}
