package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// Error codes of the API that are not catalogue codes. A refusal (409) carries the
// decision's catalogue code instead, so the operator reads the same word as in the logs.
const (
	codeBadRequest       = "bad_request"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "too_large"
	codeUnavailable      = "unavailable"
)

// Event paging bounds: enough for a screen of history, never the whole log at once.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
	maxByLength       = 128
)

type route struct {
	method  string
	access  access
	handler http.HandlerFunc
}

// routes is a fixed table rather than a ServeMux so that 404 and 405 answer in the same
// JSON shape as every other error, and the whole surface of the API reads in one place.
// Every request but /healthz is checked first for its Host, then its route, method and
// token; the costly handlers then pass their gate (limit.go) once their input is valid.
func (s *Server) routes(g prometheus.Gatherer) http.Handler {
	metrics := promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slogPrinter{s.log}})
	table := map[string]route{
		"/v1/status":            {http.MethodGet, reader, s.handleStatus},
		"/v1/endpoint":          {http.MethodGet, reader, s.handleEndpoint},
		"/v1/events":            {http.MethodGet, reader, s.handleEvents},
		"/v1/switchover":        {http.MethodPost, writer, s.handleCommand(decide.CmdSwitchover)},
		"/v1/pause":             {http.MethodPost, writer, s.handleCommand(decide.CmdPause)},
		"/v1/resume":            {http.MethodPost, writer, s.handleCommand(decide.CmdResume)},
		"/v1/ack":               {http.MethodPost, writer, s.handleCommand(decide.CmdAck)},
		"/v1/mirror/resync":     {http.MethodPost, writer, s.handleResync},
		"/v1/mirror/restart":    {http.MethodPost, writer, s.handleMirrorRestart},
		"/v1/mirror/forget":     {http.MethodPost, writer, s.handleMirrorForget},
		"/v1/reapply":           {http.MethodPost, writer, s.handleReapply},
		"/v1/snapshot/sync-now": {http.MethodPost, writer, s.handleSnapshotSyncNow},
		"/v1/mirror/counts":     {http.MethodGet, costlyReader, s.handleCompare},
		"/metrics":              {http.MethodGet, public, metrics.ServeHTTP},
		"/healthz":              {http.MethodGet, public, handleHealthz},
	}
	if s.cfg.NoMetrics {
		delete(table, "/metrics")
	}
	addUIRoutes(table) // GET / and /ui/*: the status page (ui.go), public
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" && !s.hosts.allows(r) {
			s.log.Warn("admin call rejected", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "host", r.Host, "outcome", codeUnknownHost)
			writeError(w, http.StatusMisdirectedRequest, codeUnknownHost, fmt.Sprintf("Host %q is not a name of this esdr admin API "+
				"(refused against DNS rebinding); use its listen address, localhost or a loopback address, or add the name to admin.allowed_hosts", r.Host))
			return
		}
		rt, ok := table[r.URL.Path]
		if !ok {
			writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("no route %s; the API lives under /v1/ (status, events, endpoint, switchover, pause, resume, ack)", r.URL.Path))
			return
		}
		allowed := r.Method == rt.method || (rt.method == http.MethodGet && r.Method == http.MethodHead)
		if !allowed {
			allow := rt.method
			if allow == http.MethodGet {
				allow = "GET, HEAD"
			}
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, allow))
			return
		}
		if status, code, msg := s.tokens.authorize(r, rt.access); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="esdr"`)
			}
			s.log.Warn("admin call rejected", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "outcome", code)
			writeError(w, status, code, msg)
			return
		}
		rt.handler(w, r)
	})
}

func handleHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	st, err := s.ctl.Status(ctx)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleEndpoint(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	ep, err := s.ctl.Endpoint(ctx)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ep)
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("after: want a non-negative integer (an event seq), got %q", v))
			return
		}
		after = n
	}
	limit := defaultEventLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventLimit {
			writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("limit: want an integer from 1 to %d, got %q", maxEventLimit, v))
			return
		}
		limit = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	evs, err := s.ctl.Events(ctx, after, limit)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	if evs == nil {
		evs = []state.Event{}
	}
	writeJSON(w, http.StatusOK, eventsBody{Events: evs})
}

// handleCommand serves one mutating route (routes has checked the token): decode, ask
// the loop, and map a refusal to 409 so that scripts can tell "esdr said no" from "esdr
// could not be asked".
func (s *Server) handleCommand(kind decide.CommandKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		log := s.log.With("method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
		cmd, status, msg := decodeCommand(w, r, kind)
		if status != 0 {
			code := codeBadRequest
			if status == http.StatusRequestEntityTooLarge {
				code = codeTooLarge
			}
			log.Warn("admin command rejected", "outcome", code, "detail", msg)
			writeError(w, status, code, msg)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
		defer cancel()
		d, err := s.ctl.Command(ctx, cmd)
		var refused *RefusedError
		if errors.As(err, &refused) {
			log.Warn("admin command refused", "outcome", "refused", "command", kind, "code", refused.Code, "reason", refused.Reason)
			writeError(w, http.StatusConflict, refused.Code, refused.Reason)
			return
		}
		if err != nil {
			log.Error("admin command failed", "outcome", codeUnavailable, "command", kind, "err", err)
			writeError(w, http.StatusServiceUnavailable, codeUnavailable, err.Error())
			return
		}
		if d.Action == decide.ActRefuse {
			log.Warn("admin command refused", "outcome", "refused", "command", kind, "code", d.Code, "reason", d.Reason)
			writeError(w, http.StatusConflict, string(d.Code), d.Reason)
			return
		}
		log.Info("admin command done", "outcome", d.Action, "command", kind, "code", d.Code, "epoch", d.Epoch)
		writeJSON(w, http.StatusOK, d)
	}
}

func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Warn("admin read failed", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
	writeError(w, http.StatusServiceUnavailable, codeUnavailable, err.Error())
}
