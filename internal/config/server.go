package config

import (
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// AdminConfig is esdr's own HTTP listener: the admin API, /metrics and the status page.
type AdminConfig struct {
	// Listen is host:port. Empty disables the listener (and so metrics).
	Listen string `yaml:"listen"`
	// Token authorizes mutating calls (switchover, pause, acknowledge) as a bearer
	// token. Required whenever Listen is set, even on loopback: any local process could
	// otherwise move production traffic. At least 16 characters.
	Token Secret `yaml:"token"`
	// ReadToken, when set, is the bearer token every read needs (status, events,
	// endpoint, mirror counts); /healthz, /metrics and the status page's files stay open,
	// and Token is accepted wherever ReadToken is. Unset, reads need no token, except
	// the count comparison, which fans out to the clusters and always needs one.
	ReadToken Secret `yaml:"read_token"`
	// AllowedHosts are the names clients may reach the admin API by (its Host header),
	// besides the listen address, localhost, loopback addresses and this machine's host
	// name: a browser led to the API by a DNS name it does not know is refused (DNS
	// rebinding). Needed for a DNS name in front of esdr (a load balancer, a scraper
	// configured by name).
	AllowedHosts []string `yaml:"allowed_hosts"`
	// TLS, when set, serves the admin API over HTTPS (and so /metrics and the status page).
	TLS *ListenerTLS `yaml:"tls"`
}

// MinTokenLen is the shortest admin token accepted.
const MinTokenLen = 16

// DefaultAdmin listens on loopback only.
func DefaultAdmin() AdminConfig { return AdminConfig{Listen: "127.0.0.1:9310"} }

func (a AdminConfig) validate(p *collector) {
	if a.Listen == "" {
		if a.TLS.On() {
			p.add("admin.tls", "set, but admin.listen is empty: no admin API runs, want admin.listen or no admin.tls")
		}
		return
	}
	a.TLS.validate(p, "admin.tls")
	checkListen(p, "admin.listen", a.Listen, `"" to disable the admin API`)
	switch n := len(a.Token); {
	case n == 0:
		p.add("admin.token", "missing, want a secret of at least %d characters (usually ${ESDR_ADMIN_TOKEN}), or admin.listen: \"\" to disable the admin API", MinTokenLen)
	case n < MinTokenLen:
		// Never print the token, not even its first characters.
		p.add("admin.token", "%d characters, want at least %d", n, MinTokenLen)
	}
	switch n := len(a.ReadToken); {
	case n == 0:
	case n < MinTokenLen:
		p.add("admin.read_token", "%d characters, want at least %d", n, MinTokenLen)
	case a.ReadToken == a.Token:
		p.add("admin.read_token", "the same as admin.token, want a different secret (the admin token is accepted for reads anyway), or leave read_token out")
	}
	for i, h := range a.AllowedHosts {
		if h == "" || net.ParseIP(h) == nil && !validHostname(h) {
			p.add(index("admin.allowed_hosts", i), "%q is not a host name, want a DNS name or an IP address without scheme or port, such as esdr.example.com", h)
		}
	}
}

// MetricsConfig is the Prometheus endpoint, served on the admin listener without the
// token: metrics are read-only and scrapers rarely carry secrets.
type MetricsConfig struct {
	Enabled bool `yaml:"enabled"`
}

// DefaultMetrics serves /metrics.
func DefaultMetrics() MetricsConfig { return MetricsConfig{Enabled: true} }

func (m MetricsConfig) validate(p *collector, a AdminConfig) {
	if m.Enabled && a.Listen == "" {
		p.add("metrics.enabled", "true needs the admin listener, want admin.listen set or metrics.enabled: false")
	}
}

// LogConfig is how esdr writes its log (to stderr, through log/slog).
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // text or json
}

// DefaultLog is info-level text.
func DefaultLog() LogConfig { return LogConfig{Level: "info", Format: "text"} }

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// SlogLevel is Level as a slog.Level; info for a value validation would reject.
func (l LogConfig) SlogLevel() slog.Level { return logLevels[l.Level] }

func (l LogConfig) validate(p *collector) {
	if _, ok := logLevels[l.Level]; !ok {
		p.add("log.level", "%q is not allowed, want debug, info, warn or error", l.Level)
	}
	if l.Format != "text" && l.Format != "json" {
		p.add("log.format", "%q is not allowed, want text or json", l.Format)
	}
}

// MaxSignedBodyLimit is the largest proxy.max_signed_body: 100 MiB, the largest HTTP
// payload an Amazon OpenSearch Service domain accepts (its larger instance types).
const MaxSignedBodyLimit = 100 << 20

// ProxyConfig is esdr's Elasticsearch-aware proxy: one stable endpoint for
// applications that follows the active cluster of the current epoch. Empty Listen, the
// default, runs no proxy. Zero durations and sizes take the proxy's defaults
// (docs/configuration.md lists them).
type ProxyConfig struct {
	Listen       string        `yaml:"listen"`
	FailoverWait time.Duration `yaml:"failover_wait"`
	MaxRetryBody int           `yaml:"max_retry_body"`
	// MaxSignedBody bounds a request body the proxy reads whole to sign it with SigV4
	// for a cluster with proxy_auth.aws (SigV4 covers the payload's hash); a larger one
	// is answered 413.
	MaxSignedBody     int           `yaml:"max_signed_body"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`
	UpstreamTimeout   time.Duration `yaml:"upstream_timeout"`
	DialTimeout       time.Duration `yaml:"dial_timeout"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	MaxIdlePerNode    int           `yaml:"max_idle_per_node"`
	MaxConnections    int           `yaml:"max_connections"`
	// BodyTimeout, WriteTimeout and MinBodyRate cut clients that stop sending their
	// request body or reading their answer (internal/route/proxy/pace.go).
	BodyTimeout  time.Duration `yaml:"body_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// MinBodyRate is bytes a second; left out takes the proxy's default (1024), 0 turns
	// the rate rule off.
	MinBodyRate *int `yaml:"min_body_rate"`
	// UpstreamClient is how requests reach the nodes: "h1" (the default), the proxy's own
	// client, or "net/http", Go's, kept as the way back until it is removed (#19).
	UpstreamClient string `yaml:"upstream_client"`
	// Server is how client connections are served: "h1" (the default), the proxy's own
	// HTTP/1.1 server loop, or "net/http", Go's, kept as the way back (#19).
	Server string `yaml:"server"`
	// ForwardCredentials makes the proxy send each cluster's clusters[].proxy_auth (else
	// clusters[].auth) on every request, replacing the client's Authorization, or sign
	// every request with SigV4 when that is aws. Anyone who can reach Listen then acts
	// with those credentials (or esdr's IAM identity), so it is off by default (clients
	// authenticate themselves and the proxy passes their header through), and allowed
	// on a loopback Listen or with TLS: without TLS anyone on the network path could read
	// or inject requests that act with the clusters' credentials. With TLS on a
	// non-loopback Listen, tls.client_ca_file is what limits who reaches it (a warning
	// says so when it is not set).
	ForwardCredentials bool `yaml:"forward_credentials"`
	// TLS, when set, serves the proxy over HTTPS.
	TLS *ListenerTLS `yaml:"tls"`
}

func (x ProxyConfig) validate(p *collector, a AdminConfig, cs []ClusterConfig) {
	if x.Listen == "" {
		if x.TLS.On() {
			p.add("proxy.tls", "set, but proxy.listen is empty: no proxy runs, want proxy.listen or no proxy.tls")
		}
		for i, cl := range cs {
			if cl.ProxyAuth != nil {
				p.add(field(index("clusters", i), "proxy_auth"), "set, but no proxy runs, want proxy.listen and proxy.forward_credentials: true, or no proxy_auth")
			}
		}
		return
	}
	ok := checkListen(p, "proxy.listen", x.Listen, "leave it out to run no proxy")
	if ok && x.Listen == a.Listen {
		p.add("proxy.listen", "%q is also admin.listen, want a different address", x.Listen)
	}
	x.TLS.validate(p, "proxy.tls")
	if ok && x.ForwardCredentials && !loopbackListen(x.Listen) && !x.TLS.On() {
		p.add("proxy.forward_credentials", "true on proxy.listen %q, which is not a loopback address, without proxy.tls: whoever reaches it would act with the "+
			"clusters' credentials (or esdr's IAM identity, for aws) over plain HTTP; want proxy.tls (with client_ca_file to limit who may connect), proxy.listen on 127.0.0.1, ::1 or localhost, "+
			"or forward_credentials: false (clients send their own Authorization)", x.Listen)
	}
	for i, cl := range cs {
		if cl.ProxyAuth != nil && !x.ForwardCredentials {
			p.add(field(index("clusters", i), "proxy_auth"), "set, but proxy.forward_credentials is not true: the proxy passes the clients' own Authorization, want forward_credentials: true or no proxy_auth")
		}
	}
	for _, d := range []struct {
		key      string
		v, limit time.Duration
	}{
		{"proxy.failover_wait", x.FailoverWait, time.Minute},
		{"proxy.read_header_timeout", x.ReadHeaderTimeout, time.Minute},
		{"proxy.idle_timeout", x.IdleTimeout, time.Hour},
		{"proxy.upstream_timeout", x.UpstreamTimeout, time.Hour},
		{"proxy.dial_timeout", x.DialTimeout, time.Minute},
		{"proxy.shutdown_timeout", x.ShutdownTimeout, 10 * time.Minute},
		{"proxy.write_timeout", x.WriteTimeout, time.Hour},
	} {
		if d.v < 0 || d.v > d.limit {
			p.add(d.key, "%s is out of range, want 0 (the default) to %s", d.v, d.limit)
		}
	}
	// body_timeout bounds a wait for a byte, and is the rate rule's grace: below a
	// second a busy client host (a GC pause, a full socket buffer) would be cut.
	if x.BodyTimeout != 0 && (x.BodyTimeout < time.Second || x.BodyTimeout > time.Hour) {
		p.add("proxy.body_timeout", "%s is out of range, want 0 (the default, 60s) or 1s to 1h", x.BodyTimeout)
	}
	if r := x.MinBodyRate; r != nil && (*r < 0 || *r > 1<<30) {
		p.add("proxy.min_body_rate", "%d is out of range, want 0 (no rate rule) to 1073741824 bytes a second, or leave it out for 1024", *r)
	}
	switch x.UpstreamClient {
	case "", "net/http", "h1":
	default:
		p.add("proxy.upstream_client", "%q is not allowed, want h1 (the default) or net/http", x.UpstreamClient)
	}
	switch x.Server {
	case "", "net/http", "h1":
	default:
		p.add("proxy.server", "%q is not allowed, want h1 (the default) or net/http", x.Server)
	}
	for _, n := range []struct {
		key      string
		v, limit int
	}{
		{"proxy.max_retry_body", x.MaxRetryBody, 64 << 20},
		{"proxy.max_signed_body", x.MaxSignedBody, MaxSignedBodyLimit},
		{"proxy.max_header_bytes", x.MaxHeaderBytes, 1 << 20},
		{"proxy.max_idle_per_node", x.MaxIdlePerNode, 10000},
		{"proxy.max_connections", x.MaxConnections, 1 << 20},
	} {
		if n.v < 0 || n.v > n.limit {
			p.add(n.key, "%d is out of range, want 0 (the default) to %d", n.v, n.limit)
		}
	}
}

// checkListen checks a host:port listen address; the host may be empty (all
// interfaces). alt says how to turn the listener off.
func checkListen(p *collector, key, addr, alt string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add(key, "%q is not host:port, want an address such as 127.0.0.1:9310, or %s", addr, alt)
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add(key, "%q has no valid port, want a port from 0 to 65535", addr)
		return false
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		p.add(key, "%q has no valid host, want an IP address or a hostname", addr)
		return false
	}
	return true
}

// loopbackListen reports whether a valid listen address binds only loopback: localhost
// or a loopback IP. An empty host is every interface.
func loopbackListen(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validHostname is a loose check: letters, digits, dots, dashes.
func validHostname(h string) bool {
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return len(h) <= 253
}
