package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/esclient"
)

// ClusterConfig is one Elasticsearch or OpenSearch cluster esdr can send traffic to.
type ClusterConfig struct {
	// Name identifies the cluster in the state store, logs, metrics and the admin API,
	// so it is restricted to what is safe in all of them: [a-z0-9-], at most 63.
	Name string `yaml:"name"`
	// Nodes are the HTTP endpoints probed and, later, proxied to. Credentials belong in
	// Auth, never in a URL, where they would end up in logs.
	Nodes []string   `yaml:"nodes"`
	Auth  AuthConfig `yaml:"auth"`
	// ProxyAuth, when set, is what the proxy sends to this cluster with
	// proxy.forward_credentials, instead of Auth: a role that can read and write the
	// applications' indices, while Auth keeps the rights esdr's own calls need (fencing
	// is a cluster settings change). Nil: the proxy forwards Auth.
	ProxyAuth *AuthConfig `yaml:"proxy_auth"`
	TLS       TLSConfig   `yaml:"tls"`
	// Health overrides part of the top-level health block for this cluster only, for
	// example a smaller min_nodes on a smaller standby. Nil when not given.
	Health *HealthOverride `yaml:"health"`
	// Fence (default true) lets esdr make this cluster read-only
	// (cluster.blocks.read_only) when traffic leaves it, and lift that block when traffic
	// returns. Turning it off means a client that still reaches this cluster directly can
	// write to it after a failover: those writes are on neither side of esdr's epoch.
	Fence *bool `yaml:"fence"`
}

// FenceEnabled reports whether esdr may fence this cluster.
func (c ClusterConfig) FenceEnabled() bool { return c.Fence == nil || *c.Fence }

// AuthConfig is how esdr authenticates to a cluster: basic auth or an API key, or
// nothing (Elasticsearch 8+ enables security by default, so usually one of them).
type AuthConfig struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// APIKey is the base64 "id:key" value Elasticsearch returns as "encoded", sent as
	// "Authorization: ApiKey <value>".
	APIKey Secret   `yaml:"api_key"`
	AWS    *AWSAuth `yaml:"aws"` // AWS SigV4 signing instead (cluster_aws.go)
}

// TLSConfig is how esdr verifies https nodes.
type TLSConfig struct {
	// CAFile is a PEM bundle to trust instead of the system roots (Elasticsearch's
	// auto-generated http_ca.crt). Relative to the configuration file's directory.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate (PEM chain, leaf first) and its PEM
	// key, presented to nodes that ask for one: Elasticsearch's PKI realm, a TLS front
	// verifying clients. Both or neither; relative like CAFile.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName replaces each node's host as the name sent in SNI and the name the
	// nodes' certificates must be valid for.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify turns certificate checks off. Only for test beds.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

var clusterName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validateClusters checks the list as a whole (count, unique names, no node shared
// by two clusters) and then each cluster.
func validateClusters(p *collector, cs []ClusterConfig) {
	if len(cs) < 2 {
		p.add("clusters", "%s configured, want at least 2 (a primary and a standby)", plural(len(cs), "cluster"))
	}
	names := map[string]bool{}
	owner := map[string]string{} // node URL → cluster name
	for i, cl := range cs {
		key := index("clusters", i)
		cl.validate(p, key)
		if cl.Name != "" && names[cl.Name] {
			p.add(field(key, "name"), "%q is used twice, want unique names", cl.Name)
		}
		names[cl.Name] = true
		for j, n := range cl.Nodes {
			norm, err := esclient.ParseNode(n)
			if err != nil {
				continue // said by validate
			}
			if other, ok := owner[norm]; ok && other != cl.Name {
				p.add(index(field(key, "nodes"), j), "%q is also a node of cluster %q, want each node in one cluster only", n, other)
			}
			owner[norm] = cl.Name
		}
	}
}

func (cl ClusterConfig) validate(p *collector, key string) {
	switch {
	case cl.Name == "":
		p.add(field(key, "name"), "missing, want a name of lowercase letters, digits and dashes such as primary")
	case !clusterName.MatchString(cl.Name):
		p.add(field(key, "name"), "%q is not allowed, want 1 to 63 lowercase letters, digits and dashes, not starting or ending with a dash", cl.Name)
	}
	if len(cl.Nodes) == 0 {
		p.add(field(key, "nodes"), "no nodes, want at least 1 URL such as http://127.0.0.1:9200")
	}
	seen := map[string]bool{}
	for j, n := range cl.Nodes {
		nk := index(field(key, "nodes"), j)
		msg, norm := checkNodeURL(n)
		switch {
		case msg != "":
			p.add(nk, "%s", msg)
		case seen[norm]:
			p.add(nk, "%q is listed twice, want each node once", n)
		}
		seen[norm] = true
	}
	cl.Auth.validate(p, field(key, "auth"))
	if a := cl.ProxyAuth; a != nil {
		if a.Username == "" && !a.Password.IsSet() && !a.APIKey.IsSet() && a.AWS == nil {
			p.add(field(key, "proxy_auth"), "empty, want username and password, api_key, or aws (leave proxy_auth out to forward auth)")
		}
		a.validate(p, field(key, "proxy_auth"))
	}
	cl.TLS.validate(p, field(key, "tls"))
}

// checkNodeURL returns what is wrong with a node URL, or "" and the URL as esdr uses it
// (scheme://host:port, the host in lower case; esclient.ParseNode, which esdr run
// applies, so that what passes here runs). A URL with credentials is never echoed back,
// since the message ends up in logs.
func checkNodeURL(s string) (problem, normalised string) {
	const want = "want an http or https URL such as https://es-1.example.com:9200"
	u, err := url.Parse(s)
	switch {
	case err != nil || s == "":
		return fmt.Sprintf("%q is not a URL, %s", s, want), ""
	case u.User != nil:
		return "the URL carries credentials, want them in auth (username and password, or api_key)", ""
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q is not an http or https URL, %s", s, want), ""
	case u.Hostname() == "":
		return fmt.Sprintf("%q has no host, %s", s, want), ""
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Sprintf("%q has a query or fragment, %s", s, want), ""
	case strings.Trim(u.Path, "/") != "":
		return fmt.Sprintf("%q has a path, want the node's address only, such as https://es-1.example.com:9200 "+
			"(esdr does not support Elasticsearch behind a path prefix)", s), ""
	case u.Port() == "":
		return fmt.Sprintf("%q has no port, want host:port such as https://es-1.example.com:9200", s), ""
	}
	if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 {
		return fmt.Sprintf("%q has no valid port, want a port from 1 to 65535", s), ""
	}
	norm, err := esclient.ParseNode(s)
	if err != nil {
		return strings.TrimPrefix(err.Error(), "esclient: "), ""
	}
	return "", norm
}

func (a AuthConfig) validate(p *collector, key string) {
	a.AWS.validate(p, field(key, "aws"), a)
	basic := a.Username != "" || a.Password.IsSet()
	switch {
	case basic && a.APIKey.IsSet():
		p.add(key, "both username/password and api_key are set, want one of them")
	case a.Username != "" && !a.Password.IsSet():
		p.add(field(key, "password"), "missing, want a password with username (usually ${ES_PASSWORD})")
	case a.Username == "" && a.Password.IsSet():
		p.add(field(key, "username"), "missing, want a username with password")
	}
}

func (t TLSConfig) validate(p *collector, key string) {
	validatePeerTLS(p, key, peerTLS{ca: t.CAFile, cert: t.CertFile, key: t.KeyFile, serverName: t.ServerName},
		"a PEM file such as Elasticsearch's http_ca.crt")
}

// unwrapPathError drops the *os.PathError wrapper, whose path the message already shows.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ForwardAuth is what the proxy sends to this cluster with proxy.forward_credentials:
// ProxyAuth when set, else Auth.
func (c ClusterConfig) ForwardAuth() AuthConfig {
	if c.ProxyAuth != nil {
		return *c.ProxyAuth
	}
	return c.Auth
}

// ClientOptions are the esclient options for esdr's own calls to this cluster: its
// credentials and TLS settings, each request bounded by timeout (0: esclient's default).
// Every component that talks to a cluster builds its client from these, so that a new
// way to authenticate is added once.
func (c ClusterConfig) ClientOptions(timeout time.Duration) esclient.Options {
	return esclient.Options{Username: c.Auth.Username, Password: c.Auth.Password.Reveal(), APIKey: c.Auth.APIKey.Reveal(),
		CAFile: c.TLS.CAFile, CertFile: c.TLS.CertFile, KeyFile: c.TLS.KeyFile, ServerName: c.TLS.ServerName,
		InsecureSkipVerify: c.TLS.InsecureSkipVerify, Timeout: timeout, AWS: c.Auth.AWS.Signing()}
}
