package main

import (
	"github.com/panjf2000/gnet/v2"
)

// evloop relays with gnet's event loops: one per core for the listening side and one per
// core for the upstream side, reads and writes done as readiness arrives, with no
// goroutine per connection or per request. Each read is copied once and written to the
// peer asynchronously, as the peer lives on another loop.
func evloop(listen, upstream string) error {
	up := &upstreamSide{}
	cli, err := gnet.NewClient(up, gnet.WithMulticore(true), gnet.WithTCPNoDelay(gnet.TCPNoDelay))
	if err != nil {
		return err
	}
	if err := cli.Start(); err != nil {
		return err
	}
	defer cli.Stop() //nolint:errcheck
	return gnet.Run(&clientSide{cli: cli, upstream: upstream}, "tcp://"+listen,
		gnet.WithMulticore(true), gnet.WithTCPNoDelay(gnet.TCPNoDelay))
}

// clientSide accepts the clients; each connection's context is its upstream connection.
type clientSide struct {
	gnet.BuiltinEventEngine
	cli      *gnet.Client
	upstream string
}

func (s *clientSide) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	u, err := s.cli.DialContext("tcp", s.upstream, c)
	if err != nil {
		return nil, gnet.Close
	}
	c.SetContext(u)
	return nil, gnet.None
}

func (s *clientSide) OnTraffic(c gnet.Conn) gnet.Action { return relayTo(c) }

func (s *clientSide) OnClose(c gnet.Conn, _ error) gnet.Action {
	if u, ok := c.Context().(gnet.Conn); ok {
		_ = u.Close()
	}
	return gnet.None
}

// upstreamSide reads the upstream connections; each one's context is its client.
type upstreamSide struct{ gnet.BuiltinEventEngine }

func (upstreamSide) OnTraffic(u gnet.Conn) gnet.Action { return relayTo(u) }

func (upstreamSide) OnClose(u gnet.Conn, _ error) gnet.Action {
	if c, ok := u.Context().(gnet.Conn); ok {
		_ = c.Close()
	}
	return gnet.None
}

// relayTo hands what c has buffered to its peer.
func relayTo(c gnet.Conn) gnet.Action {
	peer, ok := c.Context().(gnet.Conn)
	if !ok {
		return gnet.Close
	}
	buf, err := c.Next(-1)
	if err != nil {
		return gnet.Close
	}
	if err := peer.AsyncWrite(append([]byte(nil), buf...), nil); err != nil {
		return gnet.Close
	}
	return gnet.None
}
