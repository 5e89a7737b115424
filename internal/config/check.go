package config

import (
	"net/url"
	"slices"
	"strings"
	"time"
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
	// Canary is the index every node is asked to search (from its own copy) in each probe,
	// as evidence that reads are served; esdr creates it (one shard, a copy on every data
	// node, hidden). Default .esdr-canary; "" runs no canary.
	Canary *string `yaml:"canary"`
	// ElectionGrace is how long the active cluster's control plane may stay stalled (its
	// master hung or being re-elected, while a majority of master-eligible nodes answer
	// and reads are served) before esdr counts it as down. Default 0: derived from the
	// cluster's own cluster.fault_detection.leader_check.* and cluster.election.max_timeout
	// settings, at most MaxElectionGrace (default 1m).
	ElectionGrace    time.Duration `yaml:"election_grace"`
	MaxElectionGrace time.Duration `yaml:"max_election_grace"`

	// Path is requested by an http check. Default /_cluster/health.
	Path string `yaml:"path"`
	// Match, when set, must appear in the first MatchWindow bytes of the body.
	Match string `yaml:"match"`
}

// DefaultClusterCheck accepts green and yellow with an elected master, any node count.
func DefaultClusterCheck() CheckConfig {
	c := DefaultCanary
	return CheckConfig{Kind: KindCluster, Accept: []string{"green", "yellow"}, RequireMaster: true,
		Canary: &c, MaxElectionGrace: DefaultMaxElectionGrace}
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
			if ch.Canary == nil {
				c := DefaultCanary
				ch.Canary = &c
			}
			if ch.MaxElectionGrace == 0 {
				ch.MaxElectionGrace = DefaultMaxElectionGrace
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
		if ch.Canary != nil || ch.ElectionGrace != 0 || ch.MaxElectionGrace != 0 {
			p.add(key, "canary, election_grace and max_election_grace apply to kind cluster only, want them removed or kind: cluster")
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
	if ch.Canary != nil && *ch.Canary != "" && !validIndexName(*ch.Canary) {
		p.add(field(key, "canary"), "%q is not an index name, want lowercase letters, digits, '.', '-' or '_' "+
			"(not starting with '-', '_' or '+'), or \"\" for no canary", *ch.Canary)
	}
	for _, g := range []struct {
		name string
		d    time.Duration
	}{{"election_grace", ch.ElectionGrace}, {"max_election_grace", ch.MaxElectionGrace}} {
		if g.d != 0 && (g.d < time.Second || g.d > 10*time.Minute) {
			p.add(field(key, g.name), "%s is out of range, want between 1s and 10m (or leave it out)", fmtDuration(g.d))
		}
	}
}

// Defaults of the cluster check's gray-failure evidence.
const (
	DefaultCanary           = ".esdr-canary"
	DefaultMaxElectionGrace = time.Minute
)

// validIndexName is a conservative subset of the names Elasticsearch accepts.
func validIndexName(s string) bool {
	if len(s) > 255 || strings.ContainsAny(s[:1], "-_+") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return s != "." && s != ".."
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
