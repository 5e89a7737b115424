package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/etcdconn"
)

// FleetConfig makes this esdr one member of a fleet coordinated through etcd: the
// state (active cluster, epoch, plans, events) lives in etcd instead of state.path, one
// member at a time leads (decides and acts), and every member probes the clusters,
// publishes what it sees and serves the proxy from the shared epoch. Leaving the block
// out runs the embedded default: one process, state in a local file.
type FleetConfig struct {
	// Name identifies this member; unique in the fleet, no '/'.
	Name string `yaml:"name"`
	// Vantage is where this member observes from (zone, site); members sharing one
	// count as one vantage point. Empty means Name.
	Vantage string `yaml:"vantage"`
	// Etcd is the store and the coordinator.
	Etcd EtcdConfig `yaml:"etcd"`
	// SessionTTL is how long a dead leader holds the leadership before another member
	// takes over (whole seconds).
	SessionTTL time.Duration `yaml:"session_ttl"`
	// Quorum is how many distinct fresh vantage points must agree before the leader
	// fails over (the active cluster down, the target up).
	Quorum int `yaml:"quorum"`
	// ViewMaxAge is how old a member's published observations may be and still count.
	ViewMaxAge time.Duration `yaml:"view_max_age"`
	// StaleAfter is how long a member keeps routing on the last epoch it read when it
	// cannot reach etcd; past it the proxy answers 503 (fails closed).
	StaleAfter time.Duration `yaml:"stale_after"`
}

// EtcdConfig is how esdr reaches etcd.
type EtcdConfig struct {
	Endpoints []string `yaml:"endpoints"`
	// Prefix is the deployment's key prefix, shared by every member: "/esdr/prod/".
	Prefix   string `yaml:"prefix"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	CAFile   string `yaml:"ca_file"`
	// CertFile and KeyFile are the client certificate and key etcd asks for when it runs
	// with --client-cert-auth; ServerName replaces the endpoints' host in verification.
	CertFile    string        `yaml:"cert_file"`
	KeyFile     string        `yaml:"key_file"`
	ServerName  string        `yaml:"server_name"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
}

// Dial is how the fleet connects to this etcd.
func (e EtcdConfig) Dial() etcdconn.Options {
	return etcdconn.Options{Endpoints: e.Endpoints, Username: e.Username, Password: e.Password.Reveal(),
		CAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile, ServerName: e.ServerName, DialTimeout: e.DialTimeout}
}

// Fleet defaults, applied by normalize to the values the file leaves out.
const (
	DefaultSessionTTL  = 10 * time.Second
	DefaultStaleAfter  = 10 * time.Second
	DefaultFleetQuorum = 1
	DefaultEtcdPrefix  = "/esdr/"
)

// normalize fills the defaults that depend on other blocks: views expire after three
// health intervals (a member that stopped publishing is not a vantage point any more).
func (f *FleetConfig) normalize(h HealthConfig, baseDir string) {
	if f.Vantage == "" {
		f.Vantage = f.Name
	}
	if f.SessionTTL == 0 {
		f.SessionTTL = DefaultSessionTTL
	}
	if f.StaleAfter == 0 {
		f.StaleAfter = DefaultStaleAfter
	}
	if f.Quorum == 0 {
		f.Quorum = DefaultFleetQuorum
	}
	if f.ViewMaxAge == 0 {
		f.ViewMaxAge = max(3*(h.Interval+h.Timeout), 3*time.Second)
	}
	if f.Etcd.Prefix == "" {
		f.Etcd.Prefix = DefaultEtcdPrefix
	}
	if f.Etcd.DialTimeout == 0 {
		f.Etcd.DialTimeout = 5 * time.Second
	}
	f.Etcd.CAFile = resolvePath(baseDir, f.Etcd.CAFile)
	f.Etcd.CertFile = resolvePath(baseDir, f.Etcd.CertFile)
	f.Etcd.KeyFile = resolvePath(baseDir, f.Etcd.KeyFile)
}

func (f *FleetConfig) validate(p *collector) {
	if f == nil {
		return
	}
	if f.Name == "" || strings.ContainsAny(f.Name, "/ ") {
		p.add("fleet.name", "%q is not allowed, want this member's unique name without '/' or spaces, such as esdr-a", f.Name)
	}
	if strings.Contains(f.Vantage, "/") {
		p.add("fleet.vantage", "%q is not allowed, want a zone or site name without '/'", f.Vantage)
	}
	if len(f.Etcd.Endpoints) == 0 {
		p.add("fleet.etcd.endpoints", "missing, want the etcd client URLs, such as [https://etcd-a:2379, https://etcd-b:2379, https://etcd-c:2379]")
	}
	for i, e := range f.Etcd.Endpoints {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(fmt.Sprintf("fleet.etcd.endpoints[%d]", i), "%q is not allowed, want an http:// or https:// URL with a host", e)
		}
	}
	if !strings.HasPrefix(f.Etcd.Prefix, "/") || !strings.HasSuffix(f.Etcd.Prefix, "/") {
		p.add("fleet.etcd.prefix", "%q is not allowed, want a key prefix that starts and ends with '/', such as /esdr/prod/", f.Etcd.Prefix)
	}
	if (f.Etcd.Username == "") != (f.Etcd.Password == "") {
		p.add("fleet.etcd.username", "username and password go together, set both or neither")
	}
	if f.SessionTTL < time.Second || f.SessionTTL > 5*time.Minute || f.SessionTTL%time.Second != 0 {
		p.add("fleet.session_ttl", "%s is not allowed, want whole seconds from 1s to 5m", fmtDuration(f.SessionTTL))
	}
	if f.Quorum < 1 || f.Quorum > 15 {
		p.add("fleet.quorum", "%d is out of range, want 1 to 15 vantage points", f.Quorum)
	}
	if f.ViewMaxAge < time.Second || f.ViewMaxAge > 10*time.Minute {
		p.add("fleet.view_max_age", "%s is out of range, want 1s to 10m", fmtDuration(f.ViewMaxAge))
	}
	if f.StaleAfter < time.Second || f.StaleAfter > time.Hour {
		p.add("fleet.stale_after", "%s is out of range, want 1s to 1h (how long the proxy routes on the last epoch without etcd)", fmtDuration(f.StaleAfter))
	}
	validatePeerTLS(p, "fleet.etcd", f.Etcd.tls(), etcdCAWant)
	if f.Etcd.DialTimeout < 0 || f.Etcd.DialTimeout > time.Minute {
		p.add("fleet.etcd.dial_timeout", "%s is out of range, want 0 (the default, 5s) to 1m", fmtDuration(f.Etcd.DialTimeout))
	}
}

// fleetWarnings are choices that work but defeat the point of a fleet.
func (f *FleetConfig) warnings() []string {
	if f == nil {
		return nil
	}
	var w []string
	if f.Quorum == 1 {
		w = append(w, "fleet.quorum: 1 lets a single member's view fail over; a member partitioned from the primary would then move traffic. Use 2 with three vantage points")
	}
	if len(f.Etcd.Endpoints) == 2 || len(f.Etcd.Endpoints) == 4 {
		w = append(w, fmt.Sprintf("fleet.etcd.endpoints: %d endpoints; etcd tolerates no more failures with an even count than with one fewer, use 3 or 5", len(f.Etcd.Endpoints)))
	}
	return w
}

// etcdCAWant is what an etcd ca_file should hold.
const etcdCAWant = "the PEM CA that issued etcd's server certificates"

func (e EtcdConfig) tls() peerTLS {
	return peerTLS{ca: e.CAFile, cert: e.CertFile, key: e.KeyFile, serverName: e.ServerName}
}
