package config

import (
	"net/url"
	"slices"
	"strings"
)

// Check kinds.
const (
	// KindCluster reads GET /_cluster/health as JSON and judges status, node counts and
	// whether a master is elected. It is the check we recommend: Elasticsearch answers
	// 200 even when red, and a string match cannot tell yellow from green reliably.
	KindCluster = "cluster"
	// KindHTTP is a Route 53-compatible check: any 2xx or 3xx status passes, and if
	// Match is set the string must appear, case-sensitively, in the first 5120 bytes.
	// It exists to reproduce an existing Route 53 setup before moving to KindCluster.
	KindHTTP = "http"
)

// Limits that make an http check behave like a Route 53 string match.
const (
	// MaxMatchLen is Route 53's limit on the search string.
	MaxMatchLen = 255
	// MatchWindow is how much of the body Route 53 searches, and so esdr reads.
	MatchWindow = 5120
)

// CheckConfig is one check a probe runs. Which fields apply depends on Kind; setting a
// field of the other kind is a problem, since it would silently do nothing.
type CheckConfig struct {
	Kind string `yaml:"kind"`

	// Accept lists the statuses that pass: green, or green and yellow (the default).
	// Yellow means a replica is unassigned, not that the cluster is down: failing a
	// whole cluster over for it trades a small risk for a certain outage.
	Accept []string `yaml:"accept"`
	// MinNodes and MinDataNodes fail the check below that many nodes; 0 disables.
	MinNodes     int `yaml:"min_nodes"`
	MinDataNodes int `yaml:"min_data_nodes"`
	// RequireMaster fails the check when the node answering knows no elected master
	// (a 503 master_not_discovered_exception). Default true; ignored by http checks.
	RequireMaster bool `yaml:"require_master"`

	// Path is requested by an http check. Default /_cluster/health.
	Path string `yaml:"path"`
	// Match, when set, must appear in the first MatchWindow bytes of the body.
	Match string `yaml:"match"`
}

// DefaultClusterCheck accepts green and yellow with an elected master, any node count.
func DefaultClusterCheck() CheckConfig {
	return CheckConfig{Kind: KindCluster, Accept: []string{"green", "yellow"}, RequireMaster: true}
}

// preset is called by the decoder on every new check before its keys are applied, so
// that require_master defaults to true rather than to Go's false.
func (ch *CheckConfig) preset() { ch.RequireMaster = true }

// normalizeChecks fills the defaults that depend on the kind.
func normalizeChecks(cs []CheckConfig) {
	for i := range cs {
		ch := &cs[i]
		switch ch.Kind {
		case KindCluster:
			if ch.Accept == nil {
				ch.Accept = []string{"green", "yellow"}
			}
		case KindHTTP:
			if ch.Path == "" {
				ch.Path = "/_cluster/health"
			}
		}
	}
}

func (ch CheckConfig) validate(p *collector, key string) {
	switch ch.Kind {
	case KindCluster:
		ch.validateCluster(p, key)
		if ch.Path != "" || ch.Match != "" {
			p.add(key, "path and match apply to kind http only, want them removed (a cluster check always reads /_cluster/health)")
		}
	case KindHTTP:
		ch.validateHTTP(p, key)
		if ch.Accept != nil || ch.MinNodes != 0 || ch.MinDataNodes != 0 {
			p.add(key, "accept, min_nodes and min_data_nodes apply to kind cluster only, want them removed or kind: cluster")
		}
	case "":
		p.add(field(key, "kind"), "missing, want cluster or http")
	default:
		p.add(field(key, "kind"), "%q is not allowed, want cluster or http", ch.Kind)
	}
}

func (ch CheckConfig) validateCluster(p *collector, key string) {
	ak := field(key, "accept")
	if len(ch.Accept) == 0 {
		p.add(ak, "empty, want [green] or [green, yellow]")
	}
	for i, s := range ch.Accept {
		switch {
		case s != "green" && s != "yellow":
			p.add(index(ak, i), "%q is not allowed, want green or yellow (red is never healthy)", s)
		case slices.Index(ch.Accept, s) != i:
			p.add(index(ak, i), "%q is listed twice, want each status once", s)
		}
	}
	if len(ch.Accept) > 0 && !slices.Contains(ch.Accept, "green") {
		p.add(ak, "green is missing, want green in the list (a green cluster must pass)")
	}
	checkCount(p, field(key, "min_nodes"), &ch.MinNodes)
	checkCount(p, field(key, "min_data_nodes"), &ch.MinDataNodes)
}

func (ch CheckConfig) validateHTTP(p *collector, key string) {
	if !strings.HasPrefix(ch.Path, "/") {
		p.add(field(key, "path"), "%q does not start with /, want a path such as /_cluster/health", ch.Path)
	} else if strings.Contains(ch.Path, "#") {
		p.add(field(key, "path"), "%q has a fragment, want a path with an optional query such as /_cluster/health?local=true", ch.Path)
	} else if strings.Contains(ch.Match, `":`) && prettyQuery(ch.Path) {
		// ?pretty indents the JSON ("status" : "green"), so the seed's match never succeeds.
		p.add(field(key, "path"), "%q asks for pretty output, which never contains %q, want the path without pretty", ch.Path, ch.Match)
	}
	if n := len(ch.Match); n > MaxMatchLen {
		p.add(field(key, "match"), "%d characters, want at most %d (as in Route 53)", n, MaxMatchLen)
	}
}

// prettyQuery reports whether an Elasticsearch path asks for indented JSON.
func prettyQuery(path string) bool {
	_, q, ok := strings.Cut(path, "?")
	if !ok {
		return false
	}
	v, err := url.ParseQuery(q)
	return err == nil && v.Has("pretty")
}
