package watch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// Route 53 HTTP(S) health check limits (AWS docs, "How Amazon Route 53 determines whether
// a health check is healthy").
const (
	// MatchWindow is how much of the body a string match searches: the string must lie
	// entirely within the first 5,120 bytes.
	MatchWindow = 5120
	// MaxMatchLen is the longest search string Route 53 accepts.
	MaxMatchLen = 255
)

// HTTPSpec is a Route 53-compatible HTTP health check, so that esdr can reproduce what a
// user's existing Route 53 check sees. Its semantics are Route 53's, faithfully,
// including their traps: a status of 2xx or 3xx passes (redirects are not followed), the
// match is case-sensitive and byte-exact, so the seed's `"status":"green"` never matches
// a ?pretty body (`"status" : "green"`), and a yellow cluster fails it. Prefer the
// cluster check, which parses _cluster/health.
type HTTPSpec struct {
	Path  string // request path with optional query, e.g. /_cluster/health
	Match string // optional search string, at most 255 bytes, case-sensitive
	Host  string // optional Host header
}

// Validate checks the spec against Route 53's rules.
func (s HTTPSpec) Validate() error {
	switch {
	case !strings.HasPrefix(s.Path, "/"):
		return fmt.Errorf("watch: http check path %q must start with /", s.Path)
	case len(s.Match) > MaxMatchLen:
		return fmt.Errorf("watch: http check match string is %d bytes, at most %d allowed", len(s.Match), MaxMatchLen)
	}
	return nil
}

// NewHTTPCheck returns a check that GETs Path on each node in order and passes as soon as
// one node passes: Route 53 checks a single endpoint, but for esdr a cluster is up while
// any of its nodes serves, so one dead node must not count as a dead cluster. When no
// node passes, the result has the least severe kind any node gave. A node that answered
// with a failing status or without the match string is red (it answered, unfit).
//
// Like Route 53, it opens a fresh connection per request and does not verify HTTPS
// certificates (Route 53 does not either); it sends no credentials.
func NewHTTPCheck(nodes []string, spec HTTPSpec) (Check, error) {
	if len(nodes) == 0 {
		return nil, errors.New("watch: http check needs at least one node")
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	hc := &http.Client{
		Transport: &http.Transport{
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // Route 53 semantics
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	nodes = append([]string(nil), nodes...)
	return func(ctx context.Context) Result {
		start := time.Now()
		var best Result
		var details []string
		for i, n := range nodes {
			r := httpProbe(ctx, hc, n, spec)
			details = append(details, r.Detail)
			if r.Kind == health.KindHealthy {
				r.Latency = time.Since(start)
				return r
			}
			if i == 0 || Worse(best.Kind, r.Kind) {
				best = r
			}
			if ctx.Err() != nil {
				break
			}
		}
		best.Detail = strings.Join(details, "; ")
		best.Latency = time.Since(start)
		return best
	}, nil
}

// httpProbe performs one Route 53-style request on one node.
func httpProbe(ctx context.Context, hc *http.Client, node string, spec HTTPSpec) Result {
	res := func(k health.Kind, format string, args ...any) Result {
		return Result{Kind: k, Node: node, Detail: "http " + node + spec.Path + ": " + fmt.Sprintf(format, args...)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(node, "/")+spec.Path, nil)
	if err != nil {
		return res(health.KindBadResponse, "bad request: %v", err)
	}
	if spec.Host != "" {
		req.Host = spec.Host
	}
	resp, err := hc.Do(req)
	if err != nil {
		k, why := netKind(ctx, err)
		return res(k, "%s", why)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		// Route 53 would count this as a failure; esdr knows it is its own credentials
		// (or their absence) that were refused, which says nothing about the cluster.
		return res(health.KindBlind, "HTTP %d: esdr's request was refused; check the credentials", resp.StatusCode)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return res(health.KindRed, "HTTP %d", resp.StatusCode)
	}
	if spec.Match == "" {
		return res(health.KindHealthy, "HTTP %d", resp.StatusCode)
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, MatchWindow))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		if k, why := netKind(ctx, err); k == health.KindTimeout {
			return res(k, "reading body: %s", why)
		}
	}
	if !strings.Contains(string(head), spec.Match) {
		return res(health.KindRed, "HTTP %d, %q not in the first %d bytes", resp.StatusCode, spec.Match, MatchWindow)
	}
	return res(health.KindHealthy, "HTTP %d, %q found", resp.StatusCode, spec.Match)
}

// netKind classifies a transport error: a deadline is a timeout, a refused or failed dial
// is unreachable, anything else (a reset mid-answer, a malformed reply) a bad response.
func netKind(ctx context.Context, err error) (health.Kind, string) {
	var ne net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
		return health.KindTimeout, "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return health.KindUnreachable, "connection refused"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return health.KindBlind, "esdr out of file descriptors"
	case errors.As(err, &dnsErr):
		return health.KindUnreachable, "dns: " + dnsErr.Err
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return health.KindUnreachable, "dial: " + opErr.Err.Error()
	}
	return health.KindBadResponse, err.Error()
}
