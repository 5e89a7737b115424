// Package admin is esdr's operator surface over HTTP: status, events and the current
// endpoint for whoever holds the read token (anyone who can reach it when none is
// configured), health, metrics and the status page for anyone, and the commands that
// change what esdr does (switchover, pause, resume, ack) for whoever holds the admin
// token. It answers only to the names it is configured with (DNS rebinding), and lets
// its costly routes run one call at a time. It also holds the Go client the CLI uses,
// so that both sides of the wire live in one place.
package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/state"
)

// Bounds on what a client may cost the server. A slow or hostile client must not hold a
// connection, a goroutine or memory for long; the control loop is what matters.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	maxBodyBytes      = 64 << 10
	// callTimeout bounds one call into the controller, below writeTimeout so that the
	// client hears a 503 rather than a cut connection.
	callTimeout = 20 * time.Second
	// shutdownTimeout bounds the graceful stop: in-flight calls get this long to finish.
	shutdownTimeout = 5 * time.Second
)

// Controller is what the admin API needs from the control loop. It is exported because
// cmd/esdr wires the real loop in; it stays this narrow so that the HTTP layer can be
// tested with a fake and cannot reach past the loop into the store.
type Controller interface {
	Status(ctx context.Context) (Status, error)
	Endpoint(ctx context.Context) (epoch.Endpoint, error)
	Events(ctx context.Context, after uint64, limit int) ([]state.Event, error)
	Command(ctx context.Context, cmd decide.Command) (decide.Decision, error)
}

// Config is the admin section of esdr's configuration.
type Config struct {
	// Listen is the host:port to bind, for example "127.0.0.1:9310" (":0" picks a port).
	Listen string
	// Token is the bearer token that mutating calls must present. Empty disables them:
	// an API that can move production traffic is never open by default.
	Token string
	// ReadToken, when set, is the bearer token every read must present (Token is
	// accepted too); /healthz, /metrics and the status page's files stay open.
	ReadToken string
	// AllowedHosts are names the API may be reached by besides the listen host,
	// localhost, loopback addresses, the address a request arrived on and the machine's
	// host name; any other Host is refused with 421.
	AllowedHosts []string
	// NoMetrics leaves /metrics out (metrics.enabled: false): it answers 404 like any
	// route that does not exist.
	NoMetrics bool
	// TLS, when set, serves HTTPS with it; its GetCertificate lets the certificate
	// change while the server runs.
	TLS *tls.Config
}

// Server serves the admin API. Create it with New, then call Run.
type Server struct {
	cfg    Config
	ctl    Controller
	log    *slog.Logger
	http   *http.Server
	tokens tokens
	hosts  hosts
	gates  gates

	mu sync.Mutex
	ln net.Listener
}

// New checks cfg and builds the server; it does not bind yet (see Listen and Run).
func New(cfg Config, ctl Controller, gatherer prometheus.Gatherer, log *slog.Logger) (*Server, error) {
	if cfg.Listen == "" {
		return nil, errors.New("admin: listen: required, want host:port such as 127.0.0.1:9310")
	}
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		return nil, fmt.Errorf("admin: listen %q: want host:port such as 127.0.0.1:9310: %w", cfg.Listen, err)
	}
	if ctl == nil || gatherer == nil {
		return nil, errors.New("admin: a controller and a gatherer are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, ctl: ctl, log: log, tokens: newTokens(cfg.Token, cfg.ReadToken), hosts: newHosts(cfg.Listen, cfg.AllowedHosts), gates: newGates()}
	s.http = &http.Server{
		Handler:           s.routes(gatherer),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler is the API as an http.Handler, for mounting elsewhere or serving with
// httptest; it applies the same routes, auth and bounds as Run, except the server timeouts.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Listen binds the configured address. It is separate from Run so that a caller (or a
// test using ":0") learns the address, or that the port is taken, before serving starts.
// Calling it again after a successful bind does nothing.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("admin: listen %s: %w", s.cfg.Listen, err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (host:port), or "" before Listen.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Run binds (unless Listen already did, returning a bind error at once), serves until ctx
// is done, then stops gracefully: in-flight calls get shutdownTimeout to finish before
// their connections are closed. It returns nil after a clean stop.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	s.log.Info("admin API listening", "addr", ln.Addr().String(), "tls", s.cfg.TLS != nil, "commands_enabled", s.cfg.Token != "", "reads_need_token", s.cfg.ReadToken != "")

	served := make(chan error, 1)
	go func() { served <- s.http.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("admin: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(sctx)
	<-served // http.ErrServerClosed once Shutdown began
	if err != nil {
		s.http.Close()
		return fmt.Errorf("admin: shutdown: %w", err)
	}
	return nil
}
