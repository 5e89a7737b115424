package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Defaults applied by New to the Config fields left zero.
const (
	DefaultFailoverWait      = 3 * time.Second
	DefaultMaxRetryBody      = 1 << 20
	DefaultMaxSignedBody     = 10 << 20
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultUpstreamTimeout   = 60 * time.Second
	DefaultDialTimeout       = 2 * time.Second
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultMaxIdlePerNode    = 256
	DefaultBodyTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultMinBodyRate       = 1024
)

// Config is the proxy block of esdr's configuration. Field names map 1:1 to snake_case
// keys (FailoverWait → failover_wait).
type Config struct {
	// Listen is the host:port applications connect to, such as 127.0.0.1:9200.
	Listen string
	// FailoverWait is how long a request may wait for a decision when every node of the
	// active cluster refuses it, before it fails.
	FailoverWait time.Duration
	// MaxRetryBody is the most request body bytes kept to allow a retry. Larger bodies
	// still stream through; they are retried only if no byte of them was sent.
	MaxRetryBody int64
	// MaxSignedBody is the largest request body read whole to be signed for a cluster
	// with Upstream.AWS (SigV4 signs the payload's hash); a larger one is answered 413
	// before anything is sent.
	MaxSignedBody int64
	// ReadHeaderTimeout cuts off clients that are slow to send request headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes client keep-alive connections idle for that long.
	IdleTimeout time.Duration
	// BodyTimeout is the longest a read of a request body waits for the client before
	// the request is cut and answered 408 (pace.go); also the grace before MinBodyRate.
	BodyTimeout time.Duration
	// MinBodyRate is the least a request body must average, in bytes a second of the
	// time spent waiting for the client, once BodyTimeout of it has passed. 0 takes
	// DefaultMinBodyRate; negative turns the rule off (BodyTimeout still applies).
	MinBodyRate int64
	// WriteTimeout is the longest a write of an answer waits for the client to take it
	// before the connection is closed.
	WriteTimeout time.Duration
	// MaxHeaderBytes bounds a client's request line and headers.
	MaxHeaderBytes int
	// UpstreamTimeout bounds the wait for a node's response headers once the request
	// has been sent.
	UpstreamTimeout time.Duration
	// DialTimeout bounds connecting (TCP and TLS) to one node.
	DialTimeout time.Duration
	// ShutdownTimeout bounds the graceful stop: requests in flight get that long.
	ShutdownTimeout time.Duration
	// MaxIdlePerNode is how many idle keep-alive connections are kept to each node.
	MaxIdlePerNode int
	// MaxConnections caps the client connections open at once; past it a connection is
	// answered 503 with Retry-After and closed. 0 derives it from the file limit, leaving
	// esdr's probes their descriptors (connlimit.go).
	MaxConnections int
	// UpstreamClient chooses how requests reach the nodes: UpstreamH1 (the default, the
	// proxy's own client, internal/route/proxy/h1) or UpstreamNetHTTP (net/http's
	// Transport, kept for a release as the way back).
	UpstreamClient string
	// Server chooses how client connections are served: ServerH1 (the default, the
	// proxy's own loop over the strict h1 parser, h1server.go) or ServerNetHTTP
	// (net/http's Server, kept for a release as the way back).
	Server string
	// Clusters holds per-cluster credentials and TLS settings, by cluster name. A cluster
	// without an entry is reached with system roots and the client's own Authorization.
	Clusters map[string]Upstream
	// TLS, when set, makes the listener serve HTTPS with it (GetCertificate lets the
	// certificate change while the proxy runs); nil serves plain HTTP.
	TLS *tls.Config
	// Wrap, when set, wraps the proxy's handler: write mirroring (internal/mirror)
	// journals each write the active cluster accepted before the client is answered.
	Wrap func(http.Handler) http.Handler
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.FailoverWait, DefaultFailoverWait)
	def(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&cfg.IdleTimeout, DefaultIdleTimeout)
	def(&cfg.UpstreamTimeout, DefaultUpstreamTimeout)
	def(&cfg.DialTimeout, DefaultDialTimeout)
	def(&cfg.ShutdownTimeout, DefaultShutdownTimeout)
	def(&cfg.BodyTimeout, DefaultBodyTimeout)
	def(&cfg.WriteTimeout, DefaultWriteTimeout)
	if cfg.MinBodyRate == 0 {
		cfg.MinBodyRate = DefaultMinBodyRate
	}
	if cfg.MaxRetryBody == 0 {
		cfg.MaxRetryBody = DefaultMaxRetryBody
	}
	if cfg.MaxSignedBody == 0 {
		cfg.MaxSignedBody = DefaultMaxSignedBody
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.MaxIdlePerNode == 0 {
		cfg.MaxIdlePerNode = DefaultMaxIdlePerNode
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = derivedMaxConnections(fileLimit())
	}
	if cfg.UpstreamClient == "" {
		cfg.UpstreamClient = UpstreamH1
	}
	if cfg.Server == "" {
		cfg.Server = ServerH1
	}
	return cfg
}

// validate reports the first problem with a defaulted Config, naming its key.
func (cfg Config) validate() error {
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		return fmt.Errorf("listen: %q is not host:port, want such as 127.0.0.1:9200", cfg.Listen)
	}
	for key, d := range map[string]time.Duration{
		"failover_wait": cfg.FailoverWait, "read_header_timeout": cfg.ReadHeaderTimeout,
		"idle_timeout": cfg.IdleTimeout, "upstream_timeout": cfg.UpstreamTimeout,
		"dial_timeout": cfg.DialTimeout, "shutdown_timeout": cfg.ShutdownTimeout,
		"body_timeout": cfg.BodyTimeout, "write_timeout": cfg.WriteTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("%s: %s is negative, want a positive duration", key, d)
		}
	}
	if cfg.UpstreamClient != UpstreamNetHTTP && cfg.UpstreamClient != UpstreamH1 {
		return fmt.Errorf("upstream_client: %q is not allowed, want %s or %s", cfg.UpstreamClient, UpstreamNetHTTP, UpstreamH1)
	}
	if cfg.Server != ServerNetHTTP && cfg.Server != ServerH1 {
		return fmt.Errorf("server: %q is not allowed, want %s or %s", cfg.Server, ServerNetHTTP, ServerH1)
	}
	if cfg.MaxRetryBody < 0 || cfg.MaxSignedBody < 0 || cfg.MaxHeaderBytes < 0 || cfg.MaxIdlePerNode < 0 || cfg.MaxConnections < 0 {
		return errors.New("max_retry_body, max_signed_body, max_header_bytes, max_idle_per_node and max_connections must not be negative")
	}
	return nil
}

// The upstream clients proxy.upstream_client chooses from.
const (
	UpstreamNetHTTP = "net/http"
	UpstreamH1      = "h1"
)

// The servers proxy.server chooses from.
const (
	ServerNetHTTP = "net/http"
	ServerH1      = "h1"
)
