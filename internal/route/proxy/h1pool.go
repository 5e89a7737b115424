package proxy

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// The own upstream client's connections: a last-in-first-out stack of idle ones per
// node, checked before reuse, dialled when none is left.

// pooled takes the most recently used idle connection to addr that is still open, nil
// when there is none. With trust, one used within trustFor is taken unchecked.
func (t *h1Transport) pooled(addr string, trust bool) (u *upConn, unchecked bool) {
	for {
		t.mu.Lock()
		list := t.idle[addr]
		if len(list) == 0 {
			t.mu.Unlock()
			return nil, false
		}
		c := list[len(list)-1]
		t.idle[addr] = list[:len(list)-1]
		t.mu.Unlock()
		idle := time.Since(c.used)
		if trust && idle < trustFor {
			return c, true
		}
		if idle < t.idleTimeout && c.c.Alive() {
			return c, false
		}
		c.c.Close()
	}
}

// open dials a new connection to addr, with TLS for https.
func (t *h1Transport) open(ctx context.Context, scheme, addr string) (*upConn, error) {
	dctx, cancel := context.WithTimeout(ctx, t.dialTimeout)
	defer cancel()
	nc, err := t.dial(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if scheme == "https" {
		cfg := t.tls.Clone()
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	u := newUpConn(h1.NewConn(nc), addr)
	u.fresh = true
	return u, nil
}

// put keeps u for the next request to its node, up to maxIdle per node. The least
// recently used connection, at the bottom of the stack, is closed once it has been idle
// for idleTimeout: a pool busy on a few connections lets the others go.
func (t *h1Transport) put(u *upConn) {
	u.used = time.Now()
	addr := u.addr
	var expired *upConn
	t.mu.Lock()
	list := t.idle[addr]
	if len(list) > 0 && u.used.Sub(list[0].used) >= t.idleTimeout {
		expired = list[0]
		list = append(list[:0], list[1:]...)
	}
	if len(list) < t.maxIdle {
		list = append(list, u)
		u = nil
	}
	t.idle[addr] = list
	t.mu.Unlock()
	if u != nil {
		u.c.Close()
	}
	if expired != nil {
		expired.c.Close()
	}
}

// CloseIdleConnections closes every pooled connection.
func (t *h1Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*upConn{}
	t.mu.Unlock()
	for _, list := range idle {
		for _, u := range list {
			u.c.Close()
		}
	}
}
