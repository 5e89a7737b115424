package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// The wire shapes shared by the server and the client. The payload types are the ones
// the loop and the store fill (Status, epoch.Endpoint, decide.Decision, state.Event), so
// the API cannot drift from what they know.

// commandBody is the JSON body of a mutating call. To and Force apply to switchover only;
// By names the person asking, for the event log.
type commandBody struct {
	To    string `json:"to,omitempty"`
	Force bool   `json:"force,omitempty"`
	By    string `json:"by,omitempty"`
}

// eventsBody is the answer of GET /v1/events: an object, so that paging fields can be
// added without breaking clients that read the list.
type eventsBody struct {
	Events []state.Event `json:"events"`
}

// errorBody is every error answer: {"error":{"code":"...","message":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an error answer from the admin API, as the client sees it. Code is an API code
// (bad_request, unauthorized, ...) or, for a refused command, the decision's catalogue code.
type Error struct {
	Op      string // the client call: status, switchover, ...
	Status  int    // HTTP status
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Status == http.StatusConflict {
		return fmt.Sprintf("admin: %s refused (%s): %s", e.Op, e.Code, e.Message)
	}
	return fmt.Sprintf("admin: %s failed (%s): %s", e.Op, e.Code, e.Message)
}

// Refused reports whether esdr decided against the command, as opposed to not being
// able to decide at all.
func (e *Error) Refused() bool { return e.Status == http.StatusConflict }

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing left to tell it
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// slogPrinter lets promhttp report a failed scrape through esdr's logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics scrape failed", "err", fmt.Sprint(v...)) }

// decodeCommand reads the optional JSON body of a command. An empty body is fine for
// pause, resume and ack; a switchover must name its target.
func decodeCommand(w http.ResponseWriter, r *http.Request, kind decide.CommandKind) (decide.Command, int, string) {
	var body commandBody
	err := readJSON(http.MaxBytesReader(w, r.Body, maxBodyBytes), &body)
	if errors.Is(err, io.EOF) {
		err = nil // empty body
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return decide.Command{}, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than %d bytes", maxBodyBytes)
	}
	if err != nil {
		return decide.Command{}, http.StatusBadRequest, fmt.Sprintf("body: %v", err)
	}
	if kind != decide.CmdSwitchover && (body.To != "" || body.Force) {
		return decide.Command{}, http.StatusBadRequest, fmt.Sprintf("body: to and force apply to switchover only, not %s", kind)
	}
	if kind == decide.CmdSwitchover && body.To == "" {
		return decide.Command{}, http.StatusBadRequest, "to: required, want the name of a configured cluster"
	}
	if len(body.By) > maxByLength {
		return decide.Command{}, http.StatusBadRequest, fmt.Sprintf("by: at most %d characters", maxByLength)
	}
	by := "admin API from " + r.RemoteAddr
	if body.By != "" {
		by = body.By + " (" + r.RemoteAddr + ")"
	}
	return decide.Command{Kind: kind, To: body.To, Force: body.Force, By: by}, 0, ""
}
