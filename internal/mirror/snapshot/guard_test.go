package snapshot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestARefusedGuardMakesNoChange: when the guard refuses (a fleet member that no longer
// leads), the cycle ends before the snapshot: the clusters see only reads.
func TestARefusedGuardMakesNoChange(t *testing.T) {
	var mu sync.Mutex
	var changes []string
	node := func(readonly bool) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/_cluster/settings" {
				_, _ = io.WriteString(w, `{"persistent":{},"transient":{}}`)
				return
			}
			if r.Method == http.MethodGet && r.URL.Path == "/_snapshot/r" {
				settings := `{}`
				if readonly {
					settings = `{"readonly":true}`
				}
				_, _ = io.WriteString(w, `{"r":{"type":"fs","settings":`+settings+`}}`)
				return
			}
			mu.Lock()
			changes = append(changes, r.Method+" "+r.URL.Path)
			mu.Unlock()
			_, _ = io.WriteString(w, `{}`)
		}))
	}
	primary, standby := node(false), node(true)
	defer primary.Close()
	defer standby.Close()
	refused := errors.New("not leader")
	var asked []string
	s, err := New(client(t, primary.URL), client(t, standby.URL), Options{
		Repository: Repository{Name: "r", Type: "fs"}, Indices: []string{"a"},
		Guard: func(_ context.Context, change string) error {
			asked = append(asked, change)
			return refused
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Cycle(context.Background(), Forward)
	if !errors.Is(err, refused) || !errors.Is(rep.Err, refused) {
		t.Fatalf("cycle: %v, want the guard's refusal", err)
	}
	if len(asked) != 1 || !strings.HasPrefix(asked[0], "snapshot ") {
		t.Errorf("guard asked for %q, want the snapshot alone", asked)
	}
	if len(changes) != 0 {
		t.Errorf("the clusters saw %q after the guard refused", changes)
	}
}
