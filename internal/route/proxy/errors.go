package proxy

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Error types the proxy answers with, in the "type" field of Elasticsearch's error shape
// so that clients and people reading logs see at once that esdr, not a node, answered.
const (
	// typeUnavailable: the current epoch is unknown or stale; the proxy fails closed.
	typeUnavailable = "esdr_unavailable"
	// typeWriteOutcomeUnknown: a write was sent and its connection was lost; it may or may
	// not have been applied, so it is not replayed.
	typeWriteOutcomeUnknown = "esdr_write_outcome_unknown"
	// typeUpstreamUnreachable: no node of the active cluster could be reached, and no new
	// decision came within failover_wait.
	typeUpstreamUnreachable = "esdr_upstream_unreachable"
	// typeUpstreamTimeout: a retryable request timed out on every attempt.
	typeUpstreamTimeout = "esdr_upstream_timeout"
	// typeBadRequest: an absolute-URI or other request the proxy does not forward.
	typeBadRequest = "esdr_bad_request"
	// typeMethodNotAllowed: CONNECT; the proxy is not a tunnel.
	typeMethodNotAllowed = "esdr_method_not_allowed"
	// typeClientTimeout: the client stopped sending its request body, or trickled it
	// (pace.go); its request to the node was aborted unfinished.
	typeClientTimeout = "esdr_client_timeout"
	// typeBodyTooLarge: a body to a cluster that signs with SigV4 is longer than
	// max_signed_body, the most the proxy reads whole to sign it.
	typeBodyTooLarge = "esdr_body_too_large"
	// typeSigningFailed: the proxy could not sign a request for its cluster (no AWS
	// credentials); nothing was sent.
	typeSigningFailed = "esdr_signing_failed"
)

// esError is an answer the proxy gives itself instead of forwarding one.
type esError struct {
	status int
	typ    string
	reason string
}

func (e *esError) Error() string { return "proxy: " + e.typ + ": " + e.reason }

func newESError(status int, typ, reason string) *esError {
	return &esError{status: status, typ: typ, reason: reason}
}

// asESError returns err as an esError, or a generic 502 around it.
func asESError(err error) *esError {
	var e *esError
	if errors.As(err, &e) {
		return e
	}
	return newESError(http.StatusBadGateway, typeUpstreamUnreachable, err.Error())
}

type rootCause struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

type errorBody struct {
	Error struct {
		RootCause []rootCause `json:"root_cause"`
		Type      string      `json:"type"`
		Reason    string      `json:"reason"`
	} `json:"error"`
	Status int `json:"status"`
}

// body renders e as Elasticsearch renders its own errors:
// {"error":{"root_cause":[{"type":..,"reason":..}],"type":..,"reason":..},"status":..}.
func (e *esError) body() []byte {
	var b errorBody
	b.Error.RootCause = []rootCause{{Type: e.typ, Reason: e.reason}}
	b.Error.Type, b.Error.Reason, b.Status = e.typ, e.reason, e.status
	out, _ := json.Marshal(b) // cannot fail: strings and ints only
	return append(out, '\n')
}

// write sends e to the client, with the cluster and epoch headers when they are known.
func (e *esError) write(w http.ResponseWriter, r *http.Request, cluster string, epoch uint64) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if cluster != "" {
		h.Set(headerCluster, cluster)
		h.Set(headerEpoch, strconv.FormatUint(epoch, 10))
	}
	if e.status == http.StatusMethodNotAllowed {
		h.Set("Allow", "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS")
	}
	b := e.body()
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
