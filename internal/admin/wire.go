package admin

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/esdr/esdr/internal/state"
)

// The wire shapes shared by the server and the client. The payload types themselves
// (control.Status, control.Endpoint, decide.Decision, state.Event) are the loop's own, so
// the API cannot drift from what the loop knows.

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
