package config

import (
	"log/slog"
	"net"
	"strconv"
)

// AdminConfig is esdr's own HTTP listener: the admin API, /metrics and the status page.
type AdminConfig struct {
	// Listen is host:port. Empty disables the listener (and so metrics).
	Listen string `yaml:"listen"`
	// Token authorizes mutating calls (switchover, pause, acknowledge) as a bearer
	// token. Required whenever Listen is set, even on loopback: any local process could
	// otherwise move production traffic. At least 16 characters.
	Token Secret `yaml:"token"`
}

// MinTokenLen is the shortest admin token accepted.
const MinTokenLen = 16

// DefaultAdmin listens on loopback only.
func DefaultAdmin() AdminConfig { return AdminConfig{Listen: "127.0.0.1:9310"} }

func (a AdminConfig) validate(p *collector) {
	if a.Listen == "" {
		return
	}
	checkListen(p, "admin.listen", a.Listen, `"" to disable the admin API`)
	switch n := len(a.Token); {
	case n == 0:
		p.add("admin.token", "missing, want a secret of at least %d characters (usually ${ESDR_ADMIN_TOKEN}), or admin.listen: \"\" to disable the admin API", MinTokenLen)
	case n < MinTokenLen:
		// Never print the token, not even its first characters.
		p.add("admin.token", "%d characters, want at least %d", n, MinTokenLen)
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

// ProxyConfig is reserved for the proxy (a later issue): only its listen address is
// accepted for now. Empty, the default, runs no proxy.
type ProxyConfig struct {
	Listen string `yaml:"listen"`
}

func (x ProxyConfig) validate(p *collector, a AdminConfig) {
	if x.Listen == "" {
		return
	}
	if checkListen(p, "proxy.listen", x.Listen, "leave it out to run no proxy") && x.Listen == a.Listen {
		p.add("proxy.listen", "%q is also admin.listen, want a different address", x.Listen)
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

// validHostname is a loose check: letters, digits, dots, dashes.
func validHostname(h string) bool {
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return len(h) <= 253
}
