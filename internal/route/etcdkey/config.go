package etcdkey

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	cli, err := etcdconn.Dial(c.conn())
	if err != nil {
		return nil, fmt.Errorf("etcdkey: %w", err)
	}
	return cli, nil
}

// Open dials the etcd cluster of c and returns a target writing under c.Key whose
// errors name a certificate problem with that etcd (see explain), and the client for the
// caller to close. now is as for New.
func Open(c Config, now func() time.Time) (*Target, io.Closer, error) {
	cli, err := Dial(c)
	if err != nil {
		return nil, nil, err
	}
	t, err := New(cli, c.Key, now)
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	o := c.conn()
	t.explain = func(ctx context.Context, err error) error { return etcdconn.Explain(ctx, o, err) }
	return t, cli, nil
}

// explainBound bounds the handshakes that look for a certificate problem after a
// failed call, all endpoints together: they delay the act step's retry by that much at
// most.
const explainBound = 2 * time.Second

// explained returns err, naming the certificate problem behind it when there is one.
// etcd's client waits for a usable connection until the call's deadline whether etcd is
// down or refuses esdr's TLS, so only a deadline error is worth the handshakes; they get
// a context of their own, since the call's has just expired.
func (t *Target) explained(ctx context.Context, err error) error {
	if t.explain == nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), explainBound)
	defer cancel()
	return t.explain(ctx, err)
}

// conn is how etcdconn reaches the etcd of c.
func (c Config) conn() etcdconn.Options {
	return etcdconn.Options{Endpoints: c.Endpoints, Username: c.Username, Password: c.Password,
		CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, ServerName: c.ServerName, DialTimeout: c.DialTimeout}
}
