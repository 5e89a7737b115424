package drill

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/esdr/esdr/internal/esclient"
)

// TestPrepare: an index that exists is left alone, a missing one is created, and a
// cluster with a write block (the standby esdr fenced) says so with ErrReadOnly, which
// the drill skips for its target.
func TestPrepare(t *testing.T) {
	cases := []struct {
		name     string
		head     int
		put      int
		putBody  string
		wantErr  error
		wantFail bool
	}{
		{name: "exists", head: 200},
		{name: "created", head: 404, put: 200, putBody: `{"acknowledged":true}`},
		{name: "created meanwhile", head: 404, put: 400, putBody: `{"error":{"type":"resource_already_exists_exception"}}`},
		{name: "fenced", head: 404, put: 403, putBody: `{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"blocked by: [FORBIDDEN/6/cluster read-only (api)];"}]},"status":403}`, wantErr: ErrReadOnly},
		{name: "refused", head: 404, put: 400, putBody: `{"error":{"type":"illegal_argument_exception"}}`, wantFail: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodHead {
					w.WriteHeader(c.head)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.put)
				_, _ = w.Write([]byte(c.putBody))
			}))
			defer srv.Close()
			es, err := esclient.New([]string{srv.URL}, esclient.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = Prepare(context.Background(), es, "esdr-drill", 0)
			switch {
			case c.wantErr != nil && !errors.Is(err, c.wantErr):
				t.Errorf("Prepare = %v, want %v", err, c.wantErr)
			case c.wantErr == nil && c.wantFail != (err != nil):
				t.Errorf("Prepare = %v, want failure %v", err, c.wantFail)
			case c.wantFail && errors.Is(err, ErrReadOnly):
				t.Errorf("a refusal taken for a fence: %v", err)
			}
		})
	}
}
