package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Reapplier points every traffic target at the active cluster again (esdr reapply),
// offered by a controller that can act now. Without it the route answers 409.
type Reapplier interface {
	Reapply(ctx context.Context, by string) ([]TargetResult, error)
}

// TargetResult is one target's outcome; Error is empty when it points right.
type TargetResult struct {
	Target string `json:"target"`
	Error  string `json:"error,omitempty"`
}

// ReapplyAnswer lists every target's outcome, in the configured order.
type ReapplyAnswer struct {
	Targets []TargetResult `json:"targets"`
}

const codeCannotReapply = "cannot_reapply"

func (s *Server) handleReapply(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By string `json:"by"`
	}
	if err := readJSON(io.LimitReader(r.Body, 4096), &body); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, codeBadRequest, `want an empty body or {"by": "<who>"}`)
		return
	}
	if len(body.By) > maxByLength {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("by: at most %d characters", maxByLength))
		return
	}
	ra, ok := s.ctl.(Reapplier)
	if !ok {
		writeError(w, http.StatusConflict, codeCannotReapply, "this esdr cannot point the targets now (a fleet member that does not lead: send it to the leader)")
		return
	}
	by := body.By
	if by == "" {
		by = "an operator (" + r.RemoteAddr + ")"
	}
	s.gates.reapply.serve(w, r, func() { s.reapply(w, r, ra, by) })
}

func (s *Server) reapply(w http.ResponseWriter, r *http.Request, ra Reapplier, by string) {
	ctx, cancel := context.WithTimeout(r.Context(), longCallTimeout)
	defer cancel()
	res, err := ra.Reapply(ctx, by)
	var re *RefusedError
	switch {
	case errors.As(err, &re):
		writeError(w, http.StatusConflict, re.Code, re.Reason)
	case err != nil:
		s.log.Error("admin reapply failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, err.Error())
	default:
		s.log.Info("admin reapply done", "by", by, "targets", len(res))
		writeJSON(w, http.StatusOK, ReapplyAnswer{Targets: res})
	}
}

// Reapply asks esdr to point every traffic target at the active cluster again.
func (c *Client) Reapply(ctx context.Context) (ReapplyAnswer, error) {
	b, _ := json.Marshal(map[string]string{"by": c.By})
	var a ReapplyAnswer
	err := c.do(ctx, "reapply", http.MethodPost, "/v1/reapply", b, &a)
	return a, err
}
