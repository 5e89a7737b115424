package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// cluster is one side of the sync, named in every error it causes.
type cluster struct {
	name string // "primary" or "standby"
	c    doer
}

// APIError is an answer of a cluster with a status the step does not accept.
type APIError struct {
	Cluster string // primary or standby
	Op      string // method and path, without the query
	Status  int
	Type    string // the Elasticsearch error type, if the body had one
	Reason  string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("snapshot: %s: %s: HTTP %d", e.Cluster, e.Op, e.Status)
	if e.Type != "" {
		msg += ": " + e.Type
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// call sends one request and returns the body of a 2xx answer; any other answer is an
// *APIError, a transport failure an error naming the cluster and the operation.
func (cl cluster) call(ctx context.Context, method, path string, body any) ([]byte, error) {
	op := method + " " + strings.SplitN(path, "?", 2)[0]
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %s: %s: encoding the request: %w", cl.name, op, err)
		}
		rd = bytes.NewReader(b)
	}
	status, resp, err := cl.c.Do(ctx, method, path, rd)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %s: %s: %w", cl.name, op, err)
	}
	if status < 200 || status > 299 {
		typ, reason := esError(resp)
		return nil, &APIError{Cluster: cl.name, Op: op, Status: status, Type: typ, Reason: reason}
	}
	return resp, nil
}

// get sends a request and decodes a 2xx JSON answer into v.
func (cl cluster) get(ctx context.Context, method, path string, body, v any) error {
	resp, err := cl.call(ctx, method, path, body)
	if err != nil {
		return err
	}
	if err := decode(resp, v); err != nil {
		return fmt.Errorf("snapshot: %s: %s %s: %w", cl.name, method, strings.SplitN(path, "?", 2)[0], err)
	}
	return nil
}

// decode decodes one JSON document, saying briefly what is wrong with one that is not.
func decode(body []byte, v any) error {
	t := bytes.TrimSpace(body)
	switch {
	case len(t) == 0:
		return fmt.Errorf("unreadable answer: empty body")
	case t[0] != '{' && t[0] != '[':
		return fmt.Errorf("unreadable answer: not JSON: %.60q", t)
	}
	if err := json.Unmarshal(t, v); err != nil {
		return fmt.Errorf("unreadable answer: %w", err)
	}
	return nil
}

// esError returns error.type and error.reason of an Elasticsearch error body, or an
// excerpt of a body that is not one.
func esError(body []byte) (string, string) {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Error) == 0 {
		return "", fmt.Sprintf("%.120q", body)
	}
	var e struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(env.Error, &e) != nil {
		return "", fmt.Sprintf("%.120q", env.Error)
	}
	return e.Type, fmt.Sprintf("%.300s", e.Reason)
}

// isType reports whether err is an APIError with the given status and error type.
func isType(err error, status int, typ string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status && ae.Type == typ
}

// esc escapes one path segment (index, repository or snapshot name).
func esc(s string) string { return url.PathEscape(s) }
