package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// SnapshotSyncer starts a snapshot sync cycle now (esdr snapshot sync-now), offered by a
// controller. Without one, or with snapshot_sync off, the route answers 409 snapshot_off.
type SnapshotSyncer interface {
	// SyncNow starts the next cycle at once instead of at the end of the interval; by
	// names who asks, for the event log.
	SyncNow(ctx context.Context, by string) (SyncNowAnswer, error)
}

// SyncNowAnswer says which sync was started, and what it had done before.
type SyncNowAnswer struct {
	From             string `json:"from"`
	To               string `json:"to"`
	Cycles           uint64 `json:"cycles"`                       // cycles before this one
	LastGoodSnapshot string `json:"last_good_snapshot,omitempty"` // the newest restored before this one
}

// Codes of sync-now's refusals (409).
const (
	// CodeSnapshotOff: snapshot_sync is not configured or not enabled.
	CodeSnapshotOff = "snapshot_off"
	// CodeSnapshotBusy: a cycle runs now; its end is in esdr status.
	CodeSnapshotBusy = "snapshot_busy"
	// CodeSnapshotPaused: the sync does not run now (another cluster is active, no
	// decision yet, or this fleet member does not lead); the reason says which.
	CodeSnapshotPaused = "snapshot_paused"
)

func (s *Server) handleSnapshotSyncNow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		By string `json:"by"`
	}
	if !decodeBody(w, r, &req, `an empty body or {"by": "<who>"}`) || !checkBy(w, r, &req.By) {
		return
	}
	syncer, ok := s.ctl.(SnapshotSyncer)
	if !ok {
		writeError(w, http.StatusConflict, CodeSnapshotOff, "this esdr runs no snapshot sync (see the snapshot_sync block of the configuration)")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	a, err := syncer.SyncNow(ctx, req.By)
	var re *RefusedError
	switch {
	case errors.As(err, &re):
		s.log.Warn("admin snapshot sync-now refused", "code", re.Code, "reason", re.Reason)
		writeError(w, http.StatusConflict, re.Code, re.Reason)
	case err != nil:
		s.unavailable(w, r, err)
	default:
		writeJSON(w, http.StatusOK, a)
	}
}

// SnapshotSyncNow asks esdr to start a snapshot sync cycle now.
func (c *Client) SnapshotSyncNow(ctx context.Context) (SyncNowAnswer, error) {
	b, _ := json.Marshal(map[string]string{"by": c.By})
	var a SyncNowAnswer
	err := c.do(ctx, "snapshot sync-now", http.MethodPost, "/v1/snapshot/sync-now", b, &a)
	return a, err
}
