package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Mirrorer is the failback resync of mirror mode, offered by a controller that runs it.
// Without it the mirror routes answer 409 mirror_off.
type Mirrorer interface {
	// Resync lifts the write block of a cluster that is not active so that the journal's
	// writes meant for it are replayed before a switchover makes it active again.
	Resync(ctx context.Context, to string) (ResyncAnswer, error)
	// CompareCounts compares the document count of each index matching pattern on the
	// active cluster and on to.
	CompareCounts(ctx context.Context, to, pattern string) (CountComparison, error)
}

// RefusedError is a mirror call the current state does not allow; answered with 409
// and Code, so that the operator reads what to do.
type RefusedError struct{ Code, Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// ResyncAnswer says what the resync started with.
type ResyncAnswer struct {
	Cluster string `json:"cluster"`
	Pending uint64 `json:"pending"` // journaled writes it lacked when the fence was lifted
	// Snapshot says what snapshot sync does for it ("" when snapshot sync is off): a
	// cycle towards it asked now, or why none is.
	Snapshot string `json:"snapshot,omitempty"`
}

// IndexCount is one index's document count on both clusters; -1 where it is missing.
type IndexCount struct {
	Index  string `json:"index"`
	Active int64  `json:"active"`
	Target int64  `json:"target"`
}

// CountComparison is CompareCounts' answer after its retries: Indices all of them,
// Differ those whose counts are not equal, split into Lacks (the target has fewer
// documents, or no such index: it misses writes) and Extra (it has more: writes it
// applied that never reached the journal, such as those whose client was told the
// outcome was unknown when the cluster died mid-request).
type CountComparison struct {
	Active  string       `json:"active"`
	Target  string       `json:"target"`
	Pattern string       `json:"pattern"`
	Indices []IndexCount `json:"indices"`
	Differ  []IndexCount `json:"differ"`
	Lacks   []IndexCount `json:"lacks"`
	Extra   []IndexCount `json:"extra"`
	Pending uint64       `json:"pending"` // what the target still lacked when compared
}

// Split fills Differ, Lacks and Extra from Indices.
func (c *CountComparison) Split() {
	c.Differ, c.Lacks, c.Extra = nil, nil, nil
	for _, ic := range c.Indices {
		switch {
		case ic.Active == ic.Target:
			continue
		case ic.Target < ic.Active:
			c.Lacks = append(c.Lacks, ic)
		default:
			c.Extra = append(c.Extra, ic)
		}
		c.Differ = append(c.Differ, ic)
	}
}

const codeMirrorOff = "mirror_off"

// longCallTimeout bounds the calls that take more than a moment on esdr's side: a count
// comparison (retried while the replay and refreshes catch up), lifting a fence and
// reapplying targets (retried like plan steps).
const longCallTimeout = 60 * time.Second

func (s *Server) handleResync(w http.ResponseWriter, r *http.Request) {
	var body struct {
		To string `json:"to"`
	}
	if err := readJSON(io.LimitReader(r.Body, 4096), &body); err != nil || body.To == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, `want a JSON body {"to": "<cluster>"} naming the cluster to resync`)
		return
	}
	s.gates.resync.serve(w, r, func() {
		s.mirrorCall(w, r, func(ctx context.Context, m Mirrorer) (any, error) { return m.Resync(ctx, body.To) })
	})
}

func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("to") == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "want ?to=<cluster>[&index=<pattern>]")
		return
	}
	s.gates.counts.serve(w, r, func() {
		s.mirrorCall(w, r, func(ctx context.Context, m Mirrorer) (any, error) {
			return m.CompareCounts(ctx, q.Get("to"), q.Get("index"))
		})
	})
}

// mirrorCall runs call on the controller's Mirrorer and answers with its result, 409
// for a refusal, 503 for any other failure.
func (s *Server) mirrorCall(w http.ResponseWriter, r *http.Request, call func(context.Context, Mirrorer) (any, error)) {
	m, ok := s.ctl.(Mirrorer)
	if !ok {
		writeError(w, http.StatusConflict, codeMirrorOff, "mirror mode is off: there is no journal to resync from (see the mirror block of the configuration)")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), longCallTimeout)
	defer cancel()
	v, err := call(ctx, m)
	var re *RefusedError
	switch {
	case errors.As(err, &re):
		s.log.Warn("admin mirror call refused", "path", r.URL.Path, "code", re.Code, "reason", re.Reason)
		writeError(w, http.StatusConflict, re.Code, re.Reason)
	case err != nil:
		s.log.Error("admin mirror call failed", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, err.Error())
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// Resync asks esdr to lift the fence of to for the failback resync.
func (c *Client) Resync(ctx context.Context, to string) (ResyncAnswer, error) {
	b, _ := json.Marshal(map[string]string{"to": to})
	var a ResyncAnswer
	err := c.do(ctx, "resync", http.MethodPost, "/v1/mirror/resync", b, &a)
	return a, err
}

// CompareCounts asks esdr to compare per-index document counts of the active cluster
// and to, for the indices matching pattern ("" for every index not starting with a dot).
func (c *Client) CompareCounts(ctx context.Context, to, pattern string) (CountComparison, error) {
	var a CountComparison
	q := url.Values{"to": {to}}
	if pattern != "" {
		q.Set("index", pattern)
	}
	err := c.do(ctx, "compare counts", http.MethodGet, "/v1/mirror/counts?"+q.Encode(), nil, &a)
	if err != nil {
		return a, fmt.Errorf("%w", err)
	}
	return a, nil
}
