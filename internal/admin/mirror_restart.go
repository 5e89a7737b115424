package admin

import (
	"context"
	"encoding/json"
	"net/http"
)

// MirrorRestarter starts a stopped replication again (esdr mirror restart), offered by
// a controller with mirror mode on. Without it the route answers 409 mirror_off.
type MirrorRestarter interface {
	// RestartMirror starts replication to req.To again from its checkpoint, first
	// leaving out the refused record req.Skip when it is not 0.
	RestartMirror(ctx context.Context, req RestartRequest) (RestartAnswer, error)
}

// RestartRequest names the replication to restart and what to skip.
type RestartRequest struct {
	// To is the cluster replication goes to; empty picks the one that stopped.
	To string `json:"to,omitempty"`
	// Skip, when not 0, is the seq of the record the replication stopped at, which the
	// operator chose to drop for To: it must equal that seq, or the call is refused.
	Skip uint64 `json:"skip,omitempty"`
	// By names who asks, for the event log.
	By string `json:"by,omitempty"`
}

// RestartAnswer says what was restarted, and from where.
type RestartAnswer struct {
	Cluster string `json:"cluster"`
	// Stopped is why it had stopped; StoppedAt the refused record's seq (0 for a stop
	// of another kind, such as a damaged journal).
	Stopped   string `json:"stopped"`
	StoppedAt uint64 `json:"stopped_at,omitempty"`
	// Skipped is the record left out and SkippedRecord what it was (method, path,
	// index and id): a write the active cluster acknowledged that Cluster never gets.
	Skipped       uint64 `json:"skipped,omitempty"`
	SkippedRecord string `json:"skipped_record,omitempty"`
	// From is the first seq the replication reads again; Pending the journaled writes
	// the cluster lacked when it restarted.
	From    uint64 `json:"from"`
	Pending uint64 `json:"pending"`
	// Warning is set when the restart happened but recording its event failed.
	Warning string `json:"warning,omitempty"`
}

// Codes of the restart's refusals, besides mirror_off and unknown_cluster.
const (
	// CodeMirrorRunning: the replication named is not stopped; there is nothing to restart.
	CodeMirrorRunning = "mirror_running"
	// CodeSkipMismatch: --skip names another record than the one the replication stopped at.
	CodeSkipMismatch = "skip_mismatch"
)

func (s *Server) handleMirrorRestart(w http.ResponseWriter, r *http.Request) {
	var req RestartRequest
	if !decodeBody(w, r, &req, `an empty body or {"to": "<cluster>", "skip": <seq>, "by": "<who>"}`) || !checkBy(w, r, &req.By) {
		return
	}
	s.mirrorCall(w, r, func(ctx context.Context, m Mirrorer) (any, error) {
		mr, ok := m.(MirrorRestarter)
		if !ok {
			return nil, &RefusedError{Code: codeMirrorOff, Reason: "this esdr cannot restart a replication (mirror mode is off)"}
		}
		return mr.RestartMirror(ctx, req)
	})
}

// RestartMirror asks esdr to start the stopped replication to to again ("" for the one
// that stopped), leaving out record skip first when it is not 0.
func (c *Client) RestartMirror(ctx context.Context, to string, skip uint64) (RestartAnswer, error) {
	b, _ := json.Marshal(RestartRequest{To: to, Skip: skip, By: c.By})
	var a RestartAnswer
	err := c.do(ctx, "mirror restart", http.MethodPost, "/v1/mirror/restart", b, &a)
	return a, err
}
