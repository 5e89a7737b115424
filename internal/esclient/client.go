// Package esclient is a small, bounded REST client for Elasticsearch and OpenSearch: the
// handful of calls esdr needs (cluster health, nodes, info, cluster settings) with every
// read limited in size and time, and every failure classified so that a probe can tell a
// refused connection from a hang from garbage.
package esclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/esdr/esdr/internal/awssign"
)

// Defaults applied by New when the Options leave them zero.
const (
	DefaultTimeout = 5 * time.Second
	DefaultMaxBody = 4 << 20
)

// Options configure a Client. Credentials are only ever sent as headers; they never
// appear in errors or logs.
type Options struct {
	Username, Password string // HTTP basic auth
	APIKey             string // sent as "Authorization: ApiKey <key>"; exclusive with basic auth
	// CAFile is a PEM bundle that replaces the system roots, for clusters with their own CA.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key, presented to nodes that
	// ask for one (Elasticsearch's PKI realm, a TLS front verifying clients).
	CertFile, KeyFile string
	// ServerName replaces the node's host as the TLS name sent and verified.
	ServerName string
	// InsecureSkipVerify disables TLS verification. Off unless explicitly set.
	InsecureSkipVerify bool
	// Timeout bounds each request when the context has no earlier deadline.
	Timeout time.Duration
	// MaxBody is the most response bytes read; a larger body is a bad_response error.
	MaxBody int64
	// Transport replaces the built-in transport (tests). TLS options are then ignored.
	Transport http.RoundTripper
	// AWS, when set, signs every request with AWS Signature Version 4 (Amazon
	// OpenSearch Service, OpenSearch Serverless) instead of an Authorization from the
	// options above; exclusive with them.
	AWS *awssign.Options
}

// Client talks to one cluster through an ordered list of its nodes. It is safe for
// concurrent use and shares one connection pool across all calls.
type Client struct {
	nodes []string
	hc    *http.Client
	auth  string // Authorization header value, or ""
	sign  *awssign.Signer
	opts  Options
	// masterTimeoutParam is "master_timeout" until a node rejects it as unrecognised
	// (a future OpenSearch), then "cluster_manager_timeout".
	masterTimeoutParam atomic.Value // string
}

// New validates the node URLs (http or https, host and port, no path, no credentials)
// and builds the shared transport. It fails fast so that a typo is a config error rather
// than a cluster that looks dead.
func New(nodes []string, opts Options) (*Client, error) {
	if len(nodes) == 0 {
		return nil, errors.New("esclient: no nodes")
	}
	if opts.APIKey != "" && (opts.Username != "" || opts.Password != "") {
		return nil, errors.New("esclient: set either an API key or a username and password, not both")
	}
	if opts.AWS != nil && (opts.APIKey != "" || opts.Username != "" || opts.Password != "") {
		return nil, errors.New("esclient: set either AWS signing or credentials, not both")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	c := &Client{opts: opts}
	for _, n := range nodes {
		u, err := ParseNode(n)
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, u)
	}
	switch {
	case opts.APIKey != "":
		c.auth = "ApiKey " + opts.APIKey
	case opts.Username != "" || opts.Password != "":
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(opts.Username+":"+opts.Password))
	}
	if opts.AWS != nil {
		ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
		defer cancel()
		s, err := awssign.New(ctx, *opts.AWS)
		if err != nil {
			return nil, fmt.Errorf("esclient: %w", err)
		}
		c.sign = s
	}
	rt := opts.Transport
	if rt == nil {
		t, err := newTransport(opts)
		if err != nil {
			return nil, err
		}
		rt = t
	}
	// No client-level Timeout: every request carries a context deadline instead, which
	// also bounds reading the body.
	c.hc = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // never follow a redirect to another host with our credentials
	}}
	c.masterTimeoutParam.Store("master_timeout")
	return c, nil
}

// ParseNode normalises a node URL to scheme://host:port, the host in lower case, naming
// the bad URL (with any password redacted) when it is not acceptable. The configuration
// checks node URLs with it, so that what check-config passes, esdr run accepts.
func ParseNode(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("esclient: node %q: not a URL", redact(raw))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("esclient: node %q: scheme must be http or https", u.Redacted())
	case u.User != nil:
		return "", fmt.Errorf("esclient: node %q: put credentials in the options, not the URL", u.Redacted())
	case u.Hostname() == "" || u.Port() == "":
		return "", fmt.Errorf("esclient: node %q: want host:port", u.Redacted())
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("esclient: node %q: want no path or query", u.Redacted())
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("esclient: node %q: want a port from 1 to 65535", u.Redacted())
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// redact hides everything between "://" and "@" in a string that failed to parse.
func redact(raw string) string {
	if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
		return raw[:i+3] + "xxxxx" + raw[j:]
	}
	return raw
}

// Nodes returns the normalised node URLs, in the order they are tried.
func (c *Client) Nodes() []string { return append([]string(nil), c.nodes...) }

// Do sends a request to the nodes in order, moving to the next node only when a node
// cannot be reached (a request that may have been received is never repeated elsewhere).
// Any HTTP status is returned as is, with the body read up to MaxBody.
func (c *Client) Do(ctx context.Context, method, path string, body io.Reader) (int, []byte, error) {
	var payload []byte
	if body != nil {
		b, err := io.ReadAll(body)
		if err != nil {
			return 0, nil, fmt.Errorf("esclient: reading request body: %w", err)
		}
		payload = b
	}
	_, status, resp, err := c.do(ctx, method, path, payload)
	return status, resp, err
}

// do is Do that also says which node answered.
func (c *Client) do(ctx context.Context, method, path string, payload []byte) (string, int, []byte, error) {
	if !strings.HasPrefix(path, "/") {
		return "", 0, nil, fmt.Errorf("esclient: path %q must start with /", path)
	}
	var errs []error
	for _, n := range c.nodes {
		status, resp, err := c.send(ctx, n, method, path, payload)
		if err == nil {
			return n, status, resp, nil
		}
		errs = append(errs, err)
		if err.Kind != KindUnreachable || ctx.Err() != nil {
			break
		}
	}
	return "", 0, nil, errors.Join(errs...)
}

// CloseIdleConnections drops pooled keep-alive connections, for shutdown and after a
// failover (so that new dials re-resolve names).
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }
