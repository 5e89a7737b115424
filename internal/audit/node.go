package audit

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
)

// A node's role and identity as its configuration file says, with the engines' defaults
// for what the file leaves out.

// name is node.name, or the file's base name when it is not set (the engines default
// to the host name, which the audit cannot know).
func (f *NodeFile) name() string {
	if v, ok := f.Get("node.name"); ok && v != "" {
		return v
	}
	return filepath.Base(f.Path)
}

// roles are the node's roles with OpenSearch's cluster_manager read as master. Without
// node.roles, the legacy booleans apply, and without those every node holds every role.
func (f *NodeFile) roles() []string {
	if rs, ok := f.List("node.roles"); ok {
		out := make([]string, 0, len(rs))
		for _, r := range rs {
			r = strings.ToLower(strings.TrimSpace(r))
			if r == "cluster_manager" {
				r = "master"
			}
			out = append(out, r)
		}
		return out
	}
	var out []string
	for _, r := range []string{"master", "data", "ingest"} {
		if v, ok := f.Get("node." + r); !ok || v != "false" {
			out = append(out, r)
		}
	}
	return out
}

func (f *NodeFile) masterEligible() bool { return slices.Contains(f.roles(), "master") }

func (f *NodeFile) holdsData() bool {
	for _, r := range f.roles() {
		if strings.HasPrefix(r, "data") {
			return true
		}
	}
	return false
}

func (f *NodeFile) singleNode() bool {
	v, _ := f.Get("discovery.type")
	return v == "single-node"
}

// initialMasters is cluster.initial_master_nodes or OpenSearch's
// cluster.initial_cluster_manager_nodes, with the key that held it.
func (f *NodeFile) initialMasters() (string, []string) {
	for _, k := range []string{"cluster.initial_master_nodes", "cluster.initial_cluster_manager_nodes"} {
		if l, ok := f.List(k); ok {
			return k, l
		}
	}
	return "", nil
}

// seedHosts is discovery.seed_hosts, or the pre-7 unicast list.
func (f *NodeFile) seedHosts() ([]string, bool) {
	for _, k := range []string{"discovery.seed_hosts", "discovery.zen.ping.unicast.hosts"} {
		if l, ok := f.List(k); ok {
			return l, true
		}
	}
	_, providers := f.Get("discovery.seed_providers")
	return nil, providers
}

// identities are the names other nodes may know this node by: node.name and its
// configured addresses. Values still holding a placeholder are left out.
func (f *NodeFile) identities() []string {
	var out []string
	for _, k := range []string{"node.name", "network.host", "network.publish_host", "transport.host", "transport.publish_host"} {
		if l, ok := f.List(k); ok {
			for _, v := range l {
				if v != "" && !strings.Contains(v, "${") && !strings.HasPrefix(v, "_") {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// sameHost tells whether a seed-host or initial-master entry names a node known by id:
// equal after dropping a port, or equal in their first DNS label (es-1 vs
// es-1.example.com).
func sameHost(entry, id string) bool {
	e, i := stripPort(entry), stripPort(id)
	if strings.EqualFold(e, i) {
		return true
	}
	if net.ParseIP(e) != nil || net.ParseIP(i) != nil {
		return false
	}
	return strings.EqualFold(firstLabel(e), firstLabel(i))
}

func stripPort(s string) string {
	s = strings.TrimSpace(s)
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return strings.Trim(s, "[]")
}

func firstLabel(s string) string {
	if i := strings.IndexByte(s, '.'); i > 0 {
		return s[:i]
	}
	return s
}

// knownBy reports whether entry names any of the nodes.
func knownBy(entry string, nodes []*NodeFile) bool {
	for _, n := range nodes {
		for _, id := range n.identities() {
			if sameHost(entry, id) {
				return true
			}
		}
	}
	return false
}
