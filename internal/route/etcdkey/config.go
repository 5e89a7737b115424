package etcdkey

import (
	"fmt"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/etcdconn"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Config is one etcd target in esdr's configuration (targets.etcd[i]).
type Config struct {
	// Endpoints are the etcd client URLs, such as http://127.0.0.1:2379.
	Endpoints []string
	// Key is where the active endpoint's JSON is stored, such as /esdr/active.
	Key string
	// Username and Password authenticate when etcd auth is on; both or neither.
	Username string
	Password string
	// CAFile verifies https endpoints; empty means the system roots.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key, for an etcd that
	// verifies clients; ServerName replaces the endpoints' host in verification.
	CertFile, KeyFile, ServerName string
	// DialTimeout bounds connecting; zero means etcdconn.DefaultDialTimeout.
	DialTimeout time.Duration
}

// Check returns the problems with c as "key: message" lines, keys relative to the
// target's block, for the config package to prefix and report with its own.
func (c Config) Check() []string {
	var ps []string
	if len(c.Endpoints) == 0 {
		ps = append(ps, "endpoints: none, want at least 1 URL such as http://127.0.0.1:2379")
	}
	for i, e := range c.Endpoints {
		if !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
			ps = append(ps, fmt.Sprintf("endpoints[%d]: %q is not allowed, want an http:// or https:// URL", i, e))
		}
	}
	if !strings.HasPrefix(c.Key, "/") {
		ps = append(ps, fmt.Sprintf("key: %q is not allowed, want a key starting with / such as /esdr/active", c.Key))
	}
	if (c.Username == "") != (c.Password == "") {
		ps = append(ps, "username: username and password go together, set both or neither")
	}
	if c.DialTimeout < 0 {
		ps = append(ps, "dial_timeout: negative, want a duration such as 5s")
	}
	return ps
}

// Dial connects to the etcd cluster of c once c checks out. The caller closes the client.
func Dial(c Config) (*clientv3.Client, error) {
	if ps := c.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("etcdkey: %s", strings.Join(ps, "; "))
	}
	cli, err := etcdconn.Dial(etcdconn.Options{Endpoints: c.Endpoints, Username: c.Username, Password: c.Password,
		CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, ServerName: c.ServerName, DialTimeout: c.DialTimeout})
	if err != nil {
		return nil, fmt.Errorf("etcdkey: %w", err)
	}
	return cli, nil
}
