package esclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/esdr/esdr/internal/health"
)

// ErrKind says why one request to one node failed. The watch step needs more than "it
// failed": a refused connection, a hang and a garbage answer tell different stories about
// whether the cluster is really gone.
type ErrKind string

const (
	// KindUnreachable: the node did not accept a connection (refused, no route, DNS failure).
	KindUnreachable ErrKind = "unreachable"
	// KindTimeout: the connection or the answer did not arrive before the deadline.
	KindTimeout ErrKind = "timeout"
	// KindBadResponse: the node answered with something we cannot use (HTML, truncated or
	// malformed JSON, a body over MaxBody, a TLS peer we do not trust).
	KindBadResponse ErrKind = "bad_response"
	// KindHTTPStatus: the node answered with an HTTP status the operation does not accept.
	// The Err is then a *StatusError carrying the code and the Elasticsearch error type.
	KindHTTPStatus ErrKind = "http_status"
	// KindBlind: the node answered but refused esdr (HTTP 401 or 403), its TLS
	// certificate is not trusted, esdr could not open a socket (out of file descriptors),
	// or what answered is not Elasticsearch or OpenSearch (a *NotClusterError). Nothing
	// was learned about the cluster's health: the fault is esdr's configuration or esdr
	// itself. A 401/403 Err is a *StatusError.
	KindBlind ErrKind = "blind"
)

// NodeError is the failure of one operation on one node. It never carries credentials:
// node URLs with user info are refused by New, and no header is ever echoed.
type NodeError struct {
	Node string  // base URL of the node, e.g. http://127.0.0.1:9200
	Op   string  // method and path, e.g. "GET /_cluster/health"
	Kind ErrKind // why it failed
	Err  error   // the underlying cause
}

// Error formats as "esclient: node <url>: <op>: <cause>".
func (e *NodeError) Error() string {
	return fmt.Sprintf("esclient: node %s: %s: %v", e.Node, e.Op, e.Err)
}

// Unwrap exposes the cause to errors.Is and errors.As (for example syscall.ECONNREFUSED,
// context.DeadlineExceeded or a *StatusError).
func (e *NodeError) Unwrap() error { return e.Err }

// StatusError is an HTTP answer with a status the operation does not accept. Type and
// Reason come from the Elasticsearch error body when there is one, so that callers can
// recognise "master_not_discovered_exception" without string-matching raw bodies.
type StatusError struct {
	Code   int
	Type   string // error.type of an Elasticsearch error body, if any
	Reason string // error.reason, if any
}

// Error formats as "HTTP 503: master_not_discovered_exception: <reason>".
func (e *StatusError) Error() string {
	switch {
	case e.Type != "" && e.Reason != "":
		return fmt.Sprintf("HTTP %d: %s: %s", e.Code, e.Type, e.Reason)
	case e.Type != "":
		return fmt.Sprintf("HTTP %d: %s", e.Code, e.Type)
	}
	return fmt.Sprintf("HTTP %d", e.Code)
}

// IsBlind reports whether err says esdr could not see the cluster (KindBlind).
func IsBlind(err error) bool {
	seen := map[ErrKind]bool{}
	collect(err, seen)
	return seen[KindBlind]
}

// certProblem names what is wrong with a certificate, from the most specific error.
func certProblem(err error) string {
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownAuth):
		return "signed by an authority not in esdr's CA (clusters[].tls.ca_file): " + unknownAuth.Error()
	case errors.As(err, &hostErr):
		return "not valid for the node's host name: " + hostErr.Error()
	case errors.As(err, &invalid):
		return invalid.Error()
	}
	return err.Error()
}

// certRefused reports whether err is a TLS alert from the server about the client's
// certificate: bad, unknown authority, expired, or required and missing.
func certRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error" && strings.Contains(op.Err.Error(), "certificate")
}

// newStatusError parses the Elasticsearch error envelope {"error":{"type","reason"},"status"}
// if the body has one; anything else leaves Type and Reason empty.
func newStatusError(code int, body []byte) *StatusError {
	se := &StatusError{Code: code}
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Error) == 0 {
		return se
	}
	var obj struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(env.Error, &obj) == nil {
		se.Type, se.Reason = obj.Type, truncate(obj.Reason, 200)
	} else {
		var s string
		if json.Unmarshal(env.Error, &s) == nil {
			se.Reason = truncate(s, 200)
		}
	}
	return se
}

// IsNoMaster reports whether err says the cluster has no elected master (Elasticsearch's
// master_not_discovered_exception, OpenSearch's cluster_manager_not_discovered_exception,
// both HTTP 503). Such a cluster answers but is not fit to serve: red, not bad_response.
func IsNoMaster(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	return se.Code == 503 && (se.Type == "master_not_discovered_exception" ||
		se.Type == "cluster_manager_not_discovered_exception")
}

// Classify maps an error from this package to the health vocabulary. For an error that
// joins several nodes' failures (Health, Do) it returns the least severe kind seen, because
// one node answering at all says more about the cluster than another node refusing:
// any node refusing esdr itself → KindBlind (esdr cannot judge); else any bad response or HTTP status → KindBadResponse; else any timeout → KindTimeout (the
// cluster may be hung); else KindUnreachable (every node refused). A nil error is healthy;
// an error not from this package is classified by its cause (deadline → timeout, else
// unreachable).
func Classify(err error) health.Kind {
	if err == nil {
		return health.KindHealthy
	}
	seen := map[ErrKind]bool{}
	collect(err, seen)
	switch {
	case seen[KindBlind]:
		return health.KindBlind
	case seen[KindBadResponse] || seen[KindHTTPStatus]:
		return health.KindBadResponse
	case seen[KindTimeout]:
		return health.KindTimeout
	case seen[KindUnreachable]:
		return health.KindUnreachable
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return health.KindTimeout
	}
	return health.KindUnreachable
}

// collect walks an error tree (including errors.Join) recording every NodeError kind.
func collect(err error, seen map[ErrKind]bool) {
	if ne, ok := err.(*NodeError); ok {
		seen[ne.Kind] = true
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			collect(e, seen)
		}
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			collect(e, seen)
		}
	}
}

// reason is a cause with a short message and the full chain kept for errors.Is.
type reason struct {
	msg string
	err error
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.err }

// transportKind classifies an error from sending a request or reading its body, and
// shortens its message (net/http's own repeats the URL). reqCtx is the request's context.
func transportKind(reqCtx context.Context, err error) (ErrKind, error) {
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, context.Canceled) && reqCtx.Err() == context.Canceled:
		return KindTimeout, &reason{"canceled", err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		reqCtx.Err() == context.DeadlineExceeded:
		return KindTimeout, &reason{"timeout", err}
	case errors.As(err, &ne) && ne.Timeout():
		return KindTimeout, &reason{"timeout", err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindUnreachable, &reason{"connection refused", err}
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		// Someone answered, but not someone we trust: a misconfiguration, not an outage.
		return KindBlind, &reason{"tls: certificate not trusted: " + certProblem(err), err}
	case certRefused(err):
		// The node does not accept esdr's client certificate, or wants one: esdr's
		// configuration again, nothing about the cluster's health.
		return KindBlind, &reason{"tls: the node refused esdr's client certificate (clusters[].tls.cert_file): " + err.Error(), err}
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		// esdr's own limit, not the cluster's fault: counting it as down would let client
		// load on the proxy trigger a failover.
		return KindBlind, &reason{"esdr out of file descriptors", err}
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return KindUnreachable, &reason{"dns: " + dnsErr.Err, err}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return KindUnreachable, &reason{"dial: " + opErr.Err.Error(), err}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return KindUnreachable, err
	}
	// Anything else (EOF mid-response, a malformed HTTP answer, a TLS alert) means
	// something answered, badly.
	return KindBadResponse, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
