package netfault

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Group is one forwarder per node of a cluster, in the nodes' order: an esdr config lists
// every node of a cluster, so cutting one esdr's path to a cluster means cutting them all.
type Group []*Forwarder

// ForwardAll starts a forwarder in Pass mode for each node, given as a URL
// ("http://127.0.0.1:9200", as testbed.Cluster.URLs returns) or as host:port. On error
// the forwarders already started are closed.
func ForwardAll(nodes []string) (Group, error) {
	g := make(Group, 0, len(nodes))
	for _, n := range nodes {
		target, err := hostPort(n)
		if err == nil {
			var f *Forwarder
			if f, err = Listen(target); err == nil {
				g = append(g, f)
				continue
			}
		}
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

// hostPort returns the host:port of a node given as a URL or as host:port.
func hostPort(node string) (string, error) {
	if !strings.Contains(node, "://") {
		return node, nil
	}
	u, err := url.Parse(node)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("netfault: node %q: not a URL with a host", node)
	}
	return u.Host, nil
}

// Mode switches every forwarder of the group.
func (g Group) Mode(m Mode) {
	for _, f := range g {
		f.Mode(m)
	}
}

// SetLatency sets every forwarder's latency.
func (g Group) SetLatency(d time.Duration) {
	for _, f := range g {
		f.SetLatency(d)
	}
}

// URLs are the forwarders' URLs, in the nodes' order: the node list for an esdr config.
func (g Group) URLs() []string {
	urls := make([]string, len(g))
	for i, f := range g {
		urls[i] = f.URL()
	}
	return urls
}

// Close closes every forwarder of the group.
func (g Group) Close() error {
	var errs []error
	for _, f := range g {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
