package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/awssign"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/route/proxy"
	"github.com/esdr/esdr/internal/watch"
)

// newProxy builds the proxy from the configuration, routed by epochs, with wrap (mirror
// mode's write path, or nil) around its handler, serving TLS with tlsCfg when not nil,
// and binds its listener.
func newProxy(cfg *config.Config, reg prometheus.Registerer, epochs epoch.Source, w *watch.Watcher, log *slog.Logger,
	wrap func(http.Handler) http.Handler, tlsCfg *tls.Config) (*proxy.Proxy, error) {
	x := cfg.Proxy
	m, err := proxy.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	inner := wrap
	wrap = func(h http.Handler) http.Handler { // timed as clients see it, mirror mode included
		if inner != nil {
			h = inner(h)
		}
		return m.Instrument(h)
	}
	pc := proxy.Config{Listen: x.Listen, FailoverWait: x.FailoverWait, MaxRetryBody: int64(x.MaxRetryBody), MaxSignedBody: int64(x.MaxSignedBody),
		ReadHeaderTimeout: x.ReadHeaderTimeout, IdleTimeout: x.IdleTimeout, MaxHeaderBytes: x.MaxHeaderBytes,
		UpstreamTimeout: x.UpstreamTimeout, DialTimeout: x.DialTimeout, ShutdownTimeout: x.ShutdownTimeout,
		MaxIdlePerNode: x.MaxIdlePerNode, MaxConnections: x.MaxConnections, UpstreamClient: x.UpstreamClient, Server: x.Server,
		BodyTimeout: x.BodyTimeout, WriteTimeout: x.WriteTimeout,
		Clusters: map[string]proxy.Upstream{}, Wrap: wrap, TLS: tlsCfg}
	switch {
	case x.MinBodyRate == nil: // the proxy's default
	case *x.MinBodyRate == 0:
		pc.MinBodyRate = -1 // off: the proxy takes 0 as its default
	default:
		pc.MinBodyRate = int64(*x.MinBodyRate)
	}
	for _, cl := range cfg.Clusters {
		up := proxy.Upstream{CAFile: cl.TLS.CAFile, CertFile: cl.TLS.CertFile, KeyFile: cl.TLS.KeyFile, ServerName: cl.TLS.ServerName,
			InsecureSkipVerify: cl.TLS.InsecureSkipVerify}
		if x.ForwardCredentials {
			a := cl.ForwardAuth()
			up.Auth = proxy.Credentials{Username: a.Username, Password: a.Password.Reveal(), APIKey: a.APIKey.Reveal()}
			if a.AWS != nil {
				if up.AWS, err = newProxySigner(*a.AWS.Signing()); err != nil {
					return nil, fmt.Errorf("proxy: cluster %q: %w", cl.Name, err)
				}
				up.Nodes = cl.Nodes
			}
		}
		pc.Clusters[cl.Name] = up
	}
	p, err := proxy.New(pc, epochs, w, m, log)
	if err != nil {
		return nil, err
	}
	if err := p.Listen(); err != nil {
		return nil, err
	}
	return p, nil
}

// newProxySigner is the signer the proxy signs a cluster's forwarded requests with. It
// reads the local AWS configuration only (credentials are fetched at the first request),
// so the bound is for a slow disk.
func newProxySigner(o awssign.Options) (*awssign.Signer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return awssign.New(ctx, o)
}
