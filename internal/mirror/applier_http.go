package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// doer is the one call the HTTP applier needs; *esclient.Client has it (bounded in size
// and time, credentials in headers, bodies sent as application/json).
type doer interface {
	Do(ctx context.Context, method, path string, body io.Reader) (int, []byte, error)
}

// HTTPApplier applies records to the standby cluster over its REST API: a run of
// single-document operations as one _bulk, anything else as the original request.
type HTTPApplier struct {
	c doer
}

// NewHTTPApplier returns an applier sending through c, normally an *esclient.Client for
// the standby built with a timeout long enough for a _bulk of a batch.
func NewHTTPApplier(c doer) *HTTPApplier { return &HTTPApplier{c: c} }

// RefusedError is a record the standby refused for good. It matches ErrRefused.
type RefusedError struct {
	Seq    uint64
	Status int
	Reason string // the standby's error type and reason
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("mirror: the cluster refused seq %d with HTTP %d: %s", e.Seq, e.Status, e.Reason)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Apply sends recs in order. A single record that cannot join a _bulk goes as it came;
// otherwise the records share a runKey and go as one _bulk (replay_join.go). Transient
// failures come back as plain errors, to be retried; a permanent one as a
// *RefusedError naming the record of the refused item.
func (a *HTTPApplier) Apply(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	key := runKey(recs[0])
	if len(recs) == 1 && key != "/_bulk" {
		return a.applyOne(ctx, recs[0])
	}
	for _, rec := range recs[1:] {
		if runKey(rec) != key {
			return fmt.Errorf("mirror: seq %d (%s %s) cannot join the _bulk of seq %d", rec.Seq, rec.Method, rec.Path, recs[0].Seq)
		}
	}
	body, owners, err := joinedBody(recs)
	if err != nil {
		return err
	}
	status, resp, err := a.c.Do(ctx, http.MethodPost, key, body)
	if err != nil {
		return fmt.Errorf("mirror: _bulk of seq %d-%d: %w", recs[0].Seq, recs[len(recs)-1].Seq, err)
	}
	return checkBulkResponse(recs, owners, http.MethodPost, status, resp)
}

// applyOne sends one record as the original request.
func (a *HTTPApplier) applyOne(ctx context.Context, rec Record) error {
	var body io.Reader
	if len(rec.Body) > 0 {
		body = bytes.NewReader(rec.Body)
	}
	status, resp, err := a.c.Do(ctx, rec.Method, replayTarget(rec), body)
	if err != nil {
		return fmt.Errorf("mirror: seq %d: %w", rec.Seq, err)
	}
	if isBulkPath(rec.Path) {
		return checkBulkResponse([]Record{rec}, nil, rec.Method, status, resp)
	}
	typ, reason := esError(resp)
	switch classifyStatus(rec.Method, status, typ) {
	case applied:
		return nil
	case transient:
		return retryable(typ, fmt.Sprintf("mirror: seq %d: the cluster answered HTTP %d: %s", rec.Seq, status, reason))
	}
	return &RefusedError{Seq: rec.Seq, Status: status, Reason: reason}
}

// retryable is a transient failure to apply, marked ErrFenced when the cluster-wide
// read-only block refused it (status then names the way out, esdr resync).
func retryable(errType, msg string) error {
	if errType == "cluster_block_exception" && strings.Contains(msg, "cluster read-only") {
		return &fencedError{msg}
	}
	return errors.New(msg)
}

type fencedError struct{ msg string }

func (e *fencedError) Error() string        { return e.msg }
func (e *fencedError) Is(target error) bool { return target == ErrFenced }

// checkBulkResponse checks a _bulk answer. recs are the records it carried and owners,
// for each item, the index in recs of its record; nil owners: a single record that was
// itself a _bulk, every item its own.
func checkBulkResponse(recs []Record, owners []int, method string, status int, resp []byte) error {
	first := recs[0].Seq
	if status != http.StatusOK {
		typ, reason := esError(resp)
		if classifyStatus(method, status, typ) != refused {
			return retryable(typ, fmt.Sprintf("mirror: _bulk from seq %d: the cluster answered HTTP %d: %s", first, status, reason))
		}
		if len(recs) > 1 {
			reason = fmt.Sprintf("the _bulk of seq %d-%d: %s", first, recs[len(recs)-1].Seq, reason)
		}
		return &RefusedError{Seq: first, Status: status, Reason: reason}
	}
	var br struct {
		Errors bool                         `json:"errors"`
		Items  []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(resp, &br); err != nil {
		return fmt.Errorf("mirror: _bulk from seq %d: unreadable answer: %w", first, err)
	}
	if owners != nil && len(br.Items) != len(owners) {
		return fmt.Errorf("mirror: _bulk from seq %d: %d items answered for %d sent", first, len(br.Items), len(owners))
	}
	if !br.Errors {
		return nil
	}
	var retry error
	for i, item := range br.Items {
		for op, raw := range item {
			var res struct {
				Status int             `json:"status"`
				Error  json.RawMessage `json:"error"`
			}
			_ = json.Unmarshal(raw, &res)
			typ, reason := esError([]byte(`{"error":` + string(res.Error) + `}`))
			rec := recs[0]
			if owners != nil {
				rec = recs[owners[i]]
			}
			itemMethod := http.MethodPut
			if op == "delete" {
				itemMethod = http.MethodDelete
			}
			switch classifyStatus(itemMethod, res.Status, typ) {
			case refused:
				return &RefusedError{Seq: rec.Seq, Status: res.Status, Reason: fmt.Sprintf("item %d (%s): %s", i+1, op, reason)}
			case transient:
				retry = retryable(typ, fmt.Sprintf("mirror: seq %d, _bulk item %d: the cluster answered %d: %s", rec.Seq, i+1, res.Status, reason))
			}
		}
	}
	return retry
}

// esError returns error.type and "type: reason" from an Elasticsearch error body, or a
// short excerpt of a body that is not one.
func esError(body []byte) (string, string) {
	var env struct {
		Error struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || env.Error.Type == "" {
		return "", fmt.Sprintf("%.200q", body)
	}
	return env.Error.Type, fmt.Sprintf("%s: %.300s", env.Error.Type, env.Error.Reason)
}

func isBulkPath(path string) bool {
	p := strings.TrimSuffix(path, "/")
	return p == "/_bulk" || strings.HasSuffix(p, "/_bulk")
}
