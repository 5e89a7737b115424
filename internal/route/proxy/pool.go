package proxy

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// Passive health: a node that failed is skipped for a backoff that doubles with each
// consecutive failure, between these bounds, and is tried again after it.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// upstreamIdleTimeout is how long a pooled upstream connection may sit unused: past
// it, it is closed rather than trusted with a request (a firewall or NAT on the way may
// have dropped its state without a word to either end).
const upstreamIdleTimeout = 90 * time.Second

// upstreamBufferSize is the size of each upstream connection's read and write buffers.
const upstreamBufferSize = 4 << 10

// node is one node of the active cluster, with its passive health.
type node struct {
	raw       string // as the router gave it
	url       *url.URL
	addr      string // host:port, the scheme's default port filled in
	fails     atomic.Int32
	downUntil atomic.Int64 // unix nanoseconds; 0 when healthy
}

func (n *node) failed(now time.Time) {
	f := n.fails.Add(1)
	d := minBackoff << min(f-1, 8)
	n.downUntil.Store(now.Add(min(d, maxBackoff)).UnixNano())
}

func (n *node) succeeded() {
	if n.fails.Load() != 0 {
		n.fails.Store(0)
		n.downUntil.Store(0)
	}
}

func (n *node) healthy(now time.Time) bool { return n.downUntil.Load() <= now.UnixNano() }

// pool is everything used to reach the active cluster of one epoch: its nodes and its
// own transport. A pool is never shared between epochs: once retired, its idle
// connections are closed and it takes no new attempt.
type pool struct {
	epoch     uint64
	epochText string // epoch in decimal, for the X-Esdr-Epoch header
	cluster   string
	auth      string
	sign      *signing  // nil unless the cluster signs with SigV4
	created   time.Time // when this epoch's pool was built: the epoch change, as the proxy saw it
	nodes     []*node
	tr        upstreamClient
	next      atomic.Uint32
	retired   chan struct{} // closed by retire
	inflight  inflight      // the attempts retire cuts
	lastProbe atomic.Int64  // unix nanoseconds of the last ProbeNow asked from this pool
}

func newPool(cfg Config, ep endpoint, acc clusterAccess) (*pool, error) {
	if len(ep.Nodes) == 0 {
		return nil, fmt.Errorf("cluster %q of epoch %d has no nodes", ep.Cluster, ep.Epoch)
	}
	p := &pool{epoch: ep.Epoch, epochText: strconv.FormatUint(ep.Epoch, 10), cluster: ep.Cluster, auth: acc.auth, sign: acc.sign,
		created: time.Now()}
	p.retired = make(chan struct{})
	for _, s := range ep.Nodes {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("cluster %q: node %q is not an http(s) URL without credentials", ep.Cluster, s)
		}
		if acc.sign != nil && !acc.sign.nodes[s] {
			return nil, fmt.Errorf("cluster %q: node %q is not one of its configured nodes, and the proxy signs with AWS SigV4 for those alone", ep.Cluster, s)
		}
		p.nodes = append(p.nodes, &node{raw: s, url: u, addr: hostPortOf(u)})
	}
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	if cfg.UpstreamClient == UpstreamH1 {
		p.tr = newH1Transport(cfg, countingDial(dialer.DialContext), acc.tls.Clone())
		return p, nil
	}
	p.tr = &http.Transport{
		Proxy:                  nil, // never an environment HTTP_PROXY: targets are the cluster's nodes only
		DialContext:            countingDial(dialer.DialContext),
		TLSClientConfig:        acc.tls.Clone(),
		TLSHandshakeTimeout:    cfg.DialTimeout,
		ResponseHeaderTimeout:  cfg.UpstreamTimeout,
		IdleConnTimeout:        upstreamIdleTimeout,
		MaxIdleConnsPerHost:    cfg.MaxIdlePerNode,
		DisableCompression:     true, // bodies pass through as the node encoded them
		MaxResponseHeaderBytes: 1 << 20,
		// Each upstream connection holds one buffer of each size for its whole life, so
		// they stay at the 4 KiB default (32 KiB each cost 16 MiB at 256 connections).
		// Bodies do not go through them: a read at least as large as the read buffer
		// bypasses it, and a request body past the first buffer is copied straight to
		// the connection.
		WriteBufferSize: upstreamBufferSize,
		ReadBufferSize:  upstreamBufferSize,
	}
	return p, nil
}

// pick returns the next node in round-robin order that this request has not tried,
// preferring nodes outside their backoff; nil when every node has been tried.
func (p *pool) pick(tried []bool, now time.Time) (int, *node) {
	start := int(p.next.Add(1)-1) % len(p.nodes)
	fallback := -1
	for i := range p.nodes {
		j := (start + i) % len(p.nodes)
		if tried[j] {
			continue
		}
		if p.nodes[j].healthy(now) {
			return j, p.nodes[j]
		}
		if fallback < 0 || p.nodes[j].downUntil.Load() < p.nodes[fallback].downUntil.Load() {
			fallback = j
		}
	}
	if fallback < 0 {
		return -1, nil
	}
	return fallback, p.nodes[fallback]
}

// allDown reports whether every node is in its backoff: the whole cluster is failing.
func (p *pool) allDown(now time.Time) bool {
	for _, n := range p.nodes {
		if n.healthy(now) {
			return false
		}
	}
	return true
}

// probeDue reports whether to ask the watch step for a probe burst, at most once per
// minBackoff per pool (the watcher coalesces as well).
func (p *pool) probeDue(now time.Time) bool {
	last := p.lastProbe.Load()
	if now.UnixNano()-last < int64(minBackoff) {
		return false
	}
	return p.lastProbe.CompareAndSwap(last, now.UnixNano())
}

func (p *pool) isRetired() bool {
	select {
	case <-p.retired:
		return true
	default:
		return false
	}
}

// retire takes the pool out of service: no new attempt uses it and its idle connections
// close. Connections still carrying a response are closed by release when they come back.
// Its caller serializes the calls (epochPools' lock).
func (p *pool) retire() {
	if p.isRetired() {
		return
	}
	close(p.retired)
	p.inflight.retire()
	p.tr.CloseIdleConnections()
}

// release is called when an attempt is done with its connection.
func (p *pool) release() {
	if p.isRetired() {
		p.tr.CloseIdleConnections()
	}
}
