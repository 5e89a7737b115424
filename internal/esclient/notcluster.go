package esclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// NotClusterError says that what answered at a node URL is plainly not Elasticsearch or
// OpenSearch: a 404 or a redirect without Elasticsearch's error envelope (a reverse proxy
// routing by a path prefix, another web server on the port, an http→https redirect), or
// a 200 whose body is not JSON, or JSON of another shape. It is the URL that is wrong,
// not the cluster that is down, so a NodeError carrying it is of KindBlind: failing over
// on it would be failing over on a typo.
type NotClusterError struct {
	// Answer says what came back, e.g. "HTTP 404 with a text body".
	Answer string
	// Err is the underlying cause (a *StatusError for a non-2xx answer), for errors.As.
	Err error
}

func (e *NotClusterError) Error() string {
	return "not Elasticsearch or OpenSearch: answered " + e.Answer
}

func (e *NotClusterError) Unwrap() error { return e.Err }

// IsNotCluster reports whether err says a node URL reaches something that is not a node
// of a cluster (or, from the watch step, a node of another cluster).
func IsNotCluster(err error) bool {
	var nc *NotClusterError
	return errors.As(err, &nc)
}

// statusError is the NodeError for a non-2xx answer: 401 and 403 refuse esdr itself;
// a 3xx or 4xx without Elasticsearch's error envelope is not a cluster answering (every
// error Elasticsearch and OpenSearch send is {"error":…,"status":N}); anything else,
// a 5xx from a proxy in front of dead nodes included, is an HTTP status the operation
// does not accept. A HEAD answer has no body to judge and stays an HTTP status.
func statusError(node, method, path string, code int, body []byte) *NodeError {
	ne := &NodeError{Node: node, Op: method + " " + stripQuery(path), Kind: KindHTTPStatus, Err: newStatusError(code, body)}
	switch {
	case code == 401 || code == 403:
		ne.Kind = KindBlind
	case code >= 300 && code < 500 && method != "HEAD" && !esEnvelope(code, body):
		ne.Kind = KindBlind
		ne.Err = &NotClusterError{Answer: fmt.Sprintf("HTTP %d with %s", code, describeBody(body)), Err: ne.Err}
	}
	return ne
}

// esEnvelope reports whether body is Elasticsearch's error envelope for this status.
func esEnvelope(code int, body []byte) bool {
	var env struct {
		Error  json.RawMessage `json:"error"`
		Status int             `json:"status"`
	}
	return json.Unmarshal(body, &env) == nil && len(env.Error) > 0 && env.Status == code
}

// describeBody names a body briefly, for a detail that says what answered.
func describeBody(body []byte) string {
	t := bytes.TrimSpace(body)
	switch {
	case len(t) == 0:
		return "an empty body"
	case t[0] == '<':
		return "an HTML or XML body"
	case t[0] == '{' || t[0] == '[':
		return "a JSON body that is not Elasticsearch's: " + truncate(string(t), 80)
	}
	return "a text body: " + truncate(string(t), 80)
}

// decodeAnswer decodes a 2xx body into v. A body that is not JSON at all, or JSON of
// another shape than the API's, is not a cluster answering (KindBlind); JSON cut short or
// malformed is a node answering badly (KindBadResponse), as an overloaded one may.
func decodeAnswer(node, op string, body []byte, v any) *NodeError {
	err := decodeJSON(body, v)
	if err == nil {
		return nil
	}
	ne := &NodeError{Node: node, Op: op, Kind: KindBadResponse, Err: err}
	var typeErr *json.UnmarshalTypeError
	if t := bytes.TrimSpace(body); len(t) == 0 || (t[0] != '{' && t[0] != '[') || errors.As(err, &typeErr) {
		ne.Kind = KindBlind
		ne.Err = &NotClusterError{Answer: "HTTP 200 with " + describeBody(body), Err: err}
	}
	return ne
}
