package proxy

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/esdr/esdr/internal/awssign"
	"github.com/esdr/esdr/internal/tlsfile"
)

// Upstream is how the proxy reaches one cluster.
type Upstream struct {
	// Auth, when set, replaces the client's Authorization header on requests to this
	// cluster. Anyone who can reach Listen then acts with these credentials.
	Auth Credentials
	// AWS, when set, signs every request to this cluster with AWS Signature Version 4
	// for the node it is sent to, replacing the client's own Authorization and signature
	// (sign.go). Anyone who can reach Listen then acts with its IAM identity. Not with Auth.
	AWS *awssign.Signer
	// Nodes are the cluster's configured node URLs: with AWS, the proxy signs for these
	// alone, and fails closed for a node the router names that is not among them.
	Nodes []string
	// CAFile is a PEM bundle trusted instead of the system roots.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key, presented to nodes
	// that ask for one.
	CertFile, KeyFile string
	// ServerName replaces the node's host as the TLS name sent and verified.
	ServerName string
	// InsecureSkipVerify turns certificate checks off. Only for test beds.
	InsecureSkipVerify bool
}

// Credentials are basic auth or an API key. They are never printed or logged.
type Credentials struct {
	Username, Password string
	// APIKey is the base64 "id:key" value, sent as "Authorization: ApiKey <value>".
	APIKey string
}

// String keeps credentials out of fmt output.
func (c Credentials) String() string { return "[redacted]" }

// GoString keeps credentials out of %#v output.
func (c Credentials) GoString() string { return "proxy.Credentials{[redacted]}" }

// LogValue keeps credentials out of slog output.
func (c Credentials) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// header is the Authorization value, or "" when none is configured.
func (c Credentials) header() (string, error) {
	switch {
	case c.APIKey != "" && (c.Username != "" || c.Password != ""):
		return "", errors.New("set either api_key or username and password, not both")
	case c.APIKey != "":
		return "ApiKey " + c.APIKey, nil
	case c.Username != "" || c.Password != "":
		if c.Username == "" {
			return "", errors.New("password without username")
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password)), nil
	}
	return "", nil
}

// clusterAccess is an Upstream made ready for use: the Authorization value or the
// signer with the nodes it may sign for, and the TLS config.
type clusterAccess struct {
	auth string
	sign *signing
	tls  *tls.Config
}

func (u Upstream) build() (clusterAccess, error) {
	auth, err := u.Auth.header()
	if err != nil {
		return clusterAccess{}, fmt.Errorf("auth: %w", err)
	}
	sign, err := u.signing(auth != "")
	if err != nil {
		return clusterAccess{}, err
	}
	tc, err := tlsfile.Peer{CAFile: u.CAFile, CertFile: u.CertFile, KeyFile: u.KeyFile, ServerName: u.ServerName,
		InsecureSkipVerify: u.InsecureSkipVerify}.Config()
	if err != nil {
		return clusterAccess{}, fmt.Errorf("tls: %w", err)
	}
	return clusterAccess{auth: auth, sign: sign, tls: tc}, nil
}
