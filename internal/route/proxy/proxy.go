// Package proxy is esdr's Elasticsearch-aware reverse proxy: one stable endpoint that
// forwards each request to the active cluster of the current epoch, fences off the
// clusters of past epochs, retries what is safe to retry, waits a short budget for a
// failover decision instead of failing, and never decides on its own.
package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
)

// Proxy serves the stable endpoint. Create it with New, bind with Listen, then Serve;
// or call Run, which does both.
type Proxy struct {
	cfg    Config
	r      router
	prober prober
	m      *Metrics
	log    *slog.Logger
	pools  *epochPools
	srv    server

	mu sync.Mutex
	ln *capListener
}

// New validates cfg (applying defaults to zero fields) and builds the proxy. m may be nil.
func New(cfg Config, r router, p prober, m *Metrics, log *slog.Logger) (*Proxy, error) {
	if r == nil || p == nil {
		return nil, errors.New("proxy: a router and a prober are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	access := map[string]clusterAccess{}
	for name, u := range cfg.Clusters {
		a, err := u.build()
		if err != nil {
			return nil, fmt.Errorf("proxy: cluster %q: %w", name, err)
		}
		access[name] = a
	}
	px := &Proxy{cfg: cfg, r: r, prober: p, m: m, log: log}
	defaultAccess, _ := Upstream{}.build()
	px.pools = &epochPools{r: r, cfg: cfg, access: access, fallback: defaultAccess, log: log,
		resolveT: func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, cfg.FailoverWait)
		}}
	var h http.Handler = px
	if cfg.Wrap != nil {
		h = cfg.Wrap(px)
	}
	if cfg.Server == ServerH1 {
		px.srv = newH1Server(h, cfg, log, m.connOpened, func() { m.connClosed(); px.release() },
			func(status int) { m.request("", status) }, m.clientTimedOut)
		return px, nil
	}
	srv := &http.Server{
		Handler:           &paced{h: h, cfg: cfg, timedOut: m.clientTimedOut},
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ConnState: func(_ net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				m.connOpened()
			case http.StateClosed, http.StateHijacked:
				m.connClosed()
				px.release()
			}
		},
	}
	srv.SetKeepAlivesEnabled(true)
	px.srv = srv
	return px, nil
}

// Listen binds the configured address, so a taken port fails at once with a clear error.
func (p *Proxy) Listen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("proxy: listen %s: %w", p.cfg.Listen, err)
	}
	p.ln = newCapListener(ln, p.cfg.MaxConnections, p.m.connRefused)
	p.ln.tls = p.cfg.TLS
	return nil
}

// release gives a closed connection's place under the cap back to the listener.
func (p *Proxy) release() {
	p.mu.Lock()
	ln := p.ln
	p.mu.Unlock()
	if ln != nil {
		ln.release()
	}
}

// Addr is the bound address (useful with port 0), or nil before Listen.
func (p *Proxy) Addr() net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return nil
	}
	return p.ln.Addr()
}

// Run binds (unless Listen already did) and serves until ctx is cancelled.
func (p *Proxy) Run(ctx context.Context) error {
	if err := p.Listen(); err != nil {
		return err
	}
	return p.Serve(ctx)
}

// Serve serves on the address bound by Listen until ctx is cancelled, then stops
// gracefully: no new connections, requests in flight get shutdown_timeout to finish,
// then every connection is closed. It returns nil after a stop asked by ctx.
func (p *Proxy) Serve(ctx context.Context) error {
	p.mu.Lock()
	ln := p.ln
	p.mu.Unlock()
	if ln == nil {
		return errors.New("proxy: Serve before Listen")
	}
	wctx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.pools.watch(wctx) })
	served := make(chan error, 1)
	p.log.Info("proxy: serving", "listen", ln.Addr().String(), "tls", p.cfg.TLS != nil, "max_connections", p.cfg.MaxConnections,
		"upstream_client", p.cfg.UpstreamClient, "server", p.cfg.Server)
	var sl net.Listener = ln
	if p.cfg.TLS != nil {
		sl = tls.NewListener(ln, p.cfg.TLS)
	}
	go func() { served <- p.srv.Serve(sl) }()

	var err error
	select {
	case err = <-served:
		err = fmt.Errorf("proxy: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.ShutdownTimeout)
		if serr := p.srv.Shutdown(sctx); serr != nil {
			p.log.Warn("proxy: requests still in flight at the end of the shutdown timeout, closing them",
				"timeout", p.cfg.ShutdownTimeout)
			_ = p.srv.Close()
		}
		cancel()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = fmt.Errorf("proxy: serve %s: %w", ln.Addr(), serr)
		}
	}
	stopWatch()
	wg.Wait()
	p.pools.close()
	return err
}
