// Package etcdconn connects to etcd the one way esdr does, for the fleet's store and
// election and for the etcd traffic target alike.
package etcdconn

import (
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/esdr/esdr/internal/tlsfile"
)

// DefaultDialTimeout bounds connecting to the etcd cluster.
const DefaultDialTimeout = 5 * time.Second

// Options say how to reach one etcd cluster.
type Options struct {
	// Endpoints are the etcd client URLs, such as http://127.0.0.1:2379.
	Endpoints []string
	// Username and Password authenticate when etcd auth is on; both or neither.
	Username string
	Password string
	// CAFile verifies https endpoints; empty means the system roots.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key, for an etcd started
	// with --client-cert-auth. Both or neither.
	CertFile, KeyFile string
	// ServerName replaces the endpoints' host as the name etcd's certificate must be
	// valid for.
	ServerName string
	// DialTimeout bounds connecting; zero means DefaultDialTimeout.
	DialTimeout time.Duration
}

// Dial connects to the etcd cluster of o. The caller closes the client. etcd's own
// logging is silenced: esdr reports errors once, at the top.
func Dial(o Options) (*clientv3.Client, error) {
	timeout := o.DialTimeout
	if timeout == 0 {
		timeout = DefaultDialTimeout
	}
	cfg := clientv3.Config{
		Endpoints:   o.Endpoints,
		DialTimeout: timeout,
		Username:    o.Username,
		Password:    o.Password,
		Logger:      zap.NewNop(),
		// Keep-alive pings find a member that stopped answering (paused, partitioned)
		// within seconds, so the client moves to another endpoint instead of waiting on
		// it until each request's deadline.
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
	}
	if o.CAFile != "" || o.CertFile != "" || o.KeyFile != "" || o.ServerName != "" {
		tc, err := tlsfile.Peer{CAFile: o.CAFile, CertFile: o.CertFile, KeyFile: o.KeyFile, ServerName: o.ServerName}.Config()
		if err != nil {
			return nil, fmt.Errorf("etcd: %w", err)
		}
		cfg.TLS = tc
		if o.ServerName != "" {
			// gRPC verifies etcd's certificate for the dial target's authority, whatever
			// the TLS configuration names: the authority is what carries server_name.
			cfg.DialOptions = append(cfg.DialOptions, grpc.WithAuthority(o.ServerName))
		}
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd: connect %s: %w", strings.Join(o.Endpoints, ","), err)
	}
	return cli, nil
}
