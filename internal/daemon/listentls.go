package daemon

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/tlsfile"
)

// listenerTLS is TLS on one of esdr's listeners (admin, proxy): the server
// configuration, and the keypair behind it that SIGHUP and a change of the files reload.
type listenerTLS struct {
	name string // admin or proxy
	kp   *tlsfile.Keypair
	cfg  *tls.Config
}

// tlsListeners are the listeners serving TLS, and the metrics of their reloads.
type tlsListeners struct {
	log     *slog.Logger
	list    []*listenerTLS
	refused *prometheus.CounterVec
	expiry  *prometheus.GaugeVec
}

func newTLSListeners(reg prometheus.Registerer, log *slog.Logger) (*tlsListeners, error) {
	t := &tlsListeners{log: log,
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_tls_reload_refused_total",
			Help: "Reloads of a listener's certificate and key refused (files unreadable, not PEM, or a key that does not match); the previous pair stays in use.",
		}, []string{"listener"}),
		expiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "esdr_tls_certificate_expiry_timestamp_seconds",
			Help: "When the certificate a listener presents expires, as a Unix time.",
		}, []string{"listener"}),
	}
	for _, c := range []prometheus.Collector{t.refused, t.expiry} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// add loads a listener's TLS block; nil when the listener has none.
func (t *tlsListeners) add(name string, c *config.ListenerTLS) (*tls.Config, error) {
	if !c.On() {
		return nil, nil
	}
	kp, cfg, err := c.ServerConfig()
	if err != nil {
		return nil, err
	}
	l := &listenerTLS{name: name, kp: kp, cfg: cfg}
	t.list = append(t.list, l)
	t.refused.WithLabelValues(name)
	t.served(l)
	return cfg, nil
}

// served records the certificate in use.
func (t *tlsListeners) served(l *listenerTLS) {
	if leaf := l.kp.Certificate().Leaf; leaf != nil {
		t.expiry.WithLabelValues(l.name).Set(float64(leaf.NotAfter.Unix()))
	}
}

// reload reads every listener's files again (SIGHUP).
func (t *tlsListeners) reload() {
	for _, l := range t.list {
		switch changed, err := l.kp.Reload(); {
		case err != nil:
			t.refuse(l, err)
		case changed:
			t.switched(l, "sighup")
		}
	}
}

// run watches every listener's files until ctx ends.
func (t *tlsListeners) run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, l := range t.list {
		wg.Go(func() {
			l.kp.Watch(ctx, tlsfile.DefaultPoll, func() { t.switched(l, "files changed") }, func(err error) { t.refuse(l, err) })
		})
	}
	wg.Wait()
	return nil
}

func (t *tlsListeners) switched(l *listenerTLS, why string) {
	t.served(l)
	cert, _ := l.kp.Files()
	attrs := []any{"listener", l.name, "why", why, "cert_file", cert}
	if leaf := l.kp.Certificate().Leaf; leaf != nil {
		attrs = append(attrs, "subject", leaf.Subject.String(), "not_after", leaf.NotAfter)
	}
	t.log.Info("tls: new certificate in use; established connections keep theirs", attrs...)
}

func (t *tlsListeners) refuse(l *listenerTLS, err error) {
	t.refused.WithLabelValues(l.name).Inc()
	t.log.Error("tls: reload refused; the previous certificate stays in use", "listener", l.name, "err", err)
}
