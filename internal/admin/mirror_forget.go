package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// MirrorForgetter gives up what a fleet member's mirror journal owes (esdr mirror
// forget), offered by a controller with mirror mode on in a fleet. Without it the
// route answers 409 mirror_off.
type MirrorForgetter interface {
	ForgetMirror(ctx context.Context, req ForgetRequest) (ForgetAnswer, error)
}

// ForgetRequest names the member whose report is dropped.
type ForgetRequest struct {
	Member string `json:"member"`
	// By names who asks, for the event log.
	By string `json:"by,omitempty"`
}

// ForgetAnswer says what was given up: the writes the member's last report said each
// cluster lacked, which no cluster will get unless the member's journal is replayed.
type ForgetAnswer struct {
	Member string            `json:"member"`
	Owed   map[string]uint64 `json:"owed"`
	Epoch  uint64            `json:"epoch"`
	// Reported is how long ago the member last reported.
	Reported string `json:"reported"`
	// Warning is set when it was forgotten but recording its event failed.
	Warning string `json:"warning,omitempty"`
}

// maxMemberLength bounds a member's name in a request (a fleet member's name is a key
// segment in etcd).
const maxMemberLength = 253

// CodeMemberAlive: the member named is alive; it reports on its own.
const CodeMemberAlive = "member_alive"

func (s *Server) handleMirrorForget(w http.ResponseWriter, r *http.Request) {
	var req ForgetRequest
	if !decodeBody(w, r, &req, `{"member": "<fleet member>", "by": "<who>"}`) || !checkBy(w, r, &req.By) {
		return
	}
	if req.Member == "" || len(req.Member) > maxMemberLength || strings.ContainsAny(req.Member, "/\x00") {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf(
			"member: %q is not a fleet member's name: want 1 to %d characters without '/' (fleet.name of that member)", req.Member, maxMemberLength))
		return
	}
	s.mirrorCall(w, r, func(ctx context.Context, m Mirrorer) (any, error) {
		mf, ok := m.(MirrorForgetter)
		if !ok {
			return nil, &RefusedError{Code: codeMirrorOff, Reason: "this esdr cannot forget a member's journal (mirror mode is off)"}
		}
		return mf.ForgetMirror(ctx, req)
	})
}

// ForgetMirror asks esdr to give up what member's mirror journal owes.
func (c *Client) ForgetMirror(ctx context.Context, member string) (ForgetAnswer, error) {
	b, _ := json.Marshal(ForgetRequest{Member: member, By: c.By})
	var a ForgetAnswer
	err := c.do(ctx, "mirror forget", http.MethodPost, "/v1/mirror/forget", b, &a)
	return a, err
}
