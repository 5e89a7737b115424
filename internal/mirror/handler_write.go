package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Wrap returns next (the proxy) with mirror mode in front of it. Reads pass through
// untouched and streaming. Refused writes are answered with the policy's 400 without
// reaching a cluster. Every other write is read whole (up to MaxBody), room is reserved
// for it in the journal, its documents are locked, it is forwarded with its answer held
// (up to MaxResponse), and, if the active cluster accepted it, journaled before the
// client gets the answer. The cluster is asked for JSON with every item status whatever
// filter_path or format the client asked for; esdr gives the client that shape itself
// (answer_shape.go).
func (m *Mirror) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if Classify(Request{Method: r.Method, Path: r.URL.EscapedPath(), ContentType: ct}).Class == NotAWrite {
			next.ServeHTTP(w, r) // the policy never needs a body to call a request a read
			return
		}
		m.write(w, r, next)
	})
}

// write handles a request that may change a document.
func (m *Mirror) write(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		m.answer(w, r, RefusalStatus, "esdr_mirror_mode_exception", fmt.Sprintf(
			"mirror mode: a request body with Content-Encoding %s cannot be mirrored; send it uncompressed", enc), "", "")
		return
	}
	body, err := readBody(r, m.opts.MaxBody)
	if err != nil {
		if errors.Is(err, errBodyTooLarge) {
			m.answer(w, r, http.StatusRequestEntityTooLarge, typeTooLarge, fmt.Sprintf(
				"mirror mode: a write body over %d bytes (mirror.max_body) is not mirrored; send smaller requests, such as smaller _bulk batches", m.opts.MaxBody), "", "")
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The client stopped sending or trickled below proxy.min_body_rate: the
			// proxy's server answers that 408 (and counts it) when nothing else was.
			return
		}
		m.answer(w, r, http.StatusBadRequest, "esdr_bad_request_body", "cannot read the request body: "+err.Error(), "", "")
		return
	}
	ct := r.Header.Get("Content-Type")
	dec := Classify(Request{Method: r.Method, Path: r.URL.EscapedPath(), ContentType: ct, Body: body})
	switch dec.Class {
	case Refuse:
		m.answer(w, r, RefusalStatus, "esdr_mirror_mode_exception", dec.Reason, "", "")
		return
	case NotAWrite:
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		next.ServeHTTP(w, r)
		return
	case AssignID:
		path := dec.Rewrite(NewID())
		r.URL.Path, r.URL.RawPath = path, ""
		r.RequestURI = r.URL.RequestURI()
	case AssignBulkIDs:
		if body, err = WithBulkIDs(body, NewID); err != nil {
			m.answer(w, r, RefusalStatus, "esdr_mirror_mode_exception", "mirror mode: "+err.Error(), "", "")
			return
		}
	}
	shape, why := shapeOf(r)
	if why != "" {
		m.answer(w, r, http.StatusNotAcceptable, "esdr_mirror_mode_exception", why, "", "")
		return
	}
	journalQuery, forwardQuery := shape.upstreamQueries(r.URL.RawQuery, isBulkPath(r.URL.EscapedPath()))
	forwardQuery, shape.wholeDoc, shape.dropGet, why = updateSource(r.Method, r.URL.EscapedPath(), forwardQuery)
	if why != "" {
		m.answer(w, r, RefusalStatus, "esdr_mirror_mode_exception", why, "", "")
		return
	}
	if isBulkPath(r.URL.EscapedPath()) {
		forwardQuery, shape.bulkSource = bulkSource(forwardQuery, body, m.opts.MaxResponse)
	}
	r.URL.RawQuery = forwardQuery
	r.RequestURI = r.URL.RequestURI()
	if shape.acceptFix != "" {
		r.Header.Set("Accept", shape.acceptFix)
	}
	rec := Record{Method: r.Method, Path: r.URL.EscapedPath(), Query: journalQuery, ContentType: ct, Body: body}
	res, err := m.j.Reserve(rec)
	if err != nil {
		m.refuseJournal(w, r, err)
		return
	}
	defer res.Release() // does nothing once appended
	if ep, err := m.eps.Endpoint(r.Context()); err == nil && ep.Cluster != "" {
		if err := m.drain(r.Context(), ep); err != nil {
			m.refuseDrain(w, r, err)
			return
		}
	}
	index, docs := lockTarget(r.Method, rec.Path, body, dec.actions)
	locks := m.locks.lock(index, docs)
	defer locks.unlock()

	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	r.Header.Del("Accept-Encoding") // the answer of a _bulk is read to journal what it accepted
	ws := &writeState{}
	// Deferred, so that it runs after finish (a write journaled is counted by Pending
	// before it leaves inflight) and even if the proxy panics: a write left in flight
	// would be owed for ever, and in a fleet hold every other member's writes.
	defer m.settled(ws)
	r = r.WithContext(context.WithValue(r.Context(), writeKey{}, ws))
	buf := newBufferedWriter(m.opts.MaxResponse)
	next.ServeHTTP(buf, r)
	m.finish(w, r, next, buf, res, rec, shape, dec.actions)
}

func (m *Mirror) refuseJournal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrJournalFull) {
		m.answer(w, r, http.StatusServiceUnavailable, typeJournalFull,
			"mirror mode: the standby lags and the journal is full, so the write was refused before it reached any cluster: "+err.Error(), "", "")
		return
	}
	m.opts.Log.Error("mirror: the journal takes no writes", "err", err)
	m.answer(w, r, http.StatusServiceUnavailable, typeUnavailable,
		"mirror mode: the journal takes no writes, so the write was refused before it reached any cluster: "+err.Error(), "", "")
}

func (m *Mirror) refuseDrain(w http.ResponseWriter, r *http.Request, err error) {
	var de *DrainError
	var pe *PeersError
	if errors.As(err, &de) || errors.As(err, &pe) {
		m.answer(w, r, http.StatusServiceUnavailable, typeUnavailable, err.Error(), "", "")
		return
	}
	// The client went away while waiting: nothing was forwarded.
	m.answer(w, r, http.StatusServiceUnavailable, typeUnavailable, "mirror mode: "+err.Error(), "", "")
}

var errBodyTooLarge = errors.New("mirror: body too large")

// readBody reads the whole body, at most limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// writeKey marks the context of a write forwarded by Wrap, for Gate, with its state.
type writeKey struct{}

func writeOf(ctx context.Context) *writeState { v, _ := ctx.Value(writeKey{}).(*writeState); return v }
