package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// A _bulk update item that is still a partial update once its answer is read (the _bulk
// was too large to ask for the documents, or its payload named a _source of its own,
// update_bulk.go) is read back: a realtime _mget through the proxy, answered by the
// cluster and epoch that took the write, gives each document as that cluster holds it
// now with its version, and the item is journaled as the index of that document. A
// version newer than the update's (another write since) is still right: the copy keeps
// the newest document. Whatever goes wrong, the items stay the partial updates they
// were, as before versions.

// partialUpdate is an update item of a journal-form _bulk body to read back.
type partialUpdate struct {
	item               int // its position among the body's items
	index, id, routing string
	meta               map[string]json.RawMessage
}

// partialUpdates lists the update items of body; defaultIndex is the index the _bulk's
// path names, for items without _index.
func partialUpdates(body []byte, defaultIndex string) []partialUpdate {
	var out []partialUpdate
	for i := 0; len(body) > 0; {
		action := nextLine(&body)
		if len(bytes.TrimSpace(action)) == 0 {
			continue
		}
		op, _ := actionName(bytes.TrimSpace(action))
		if op != "delete" {
			nextLine(&body)
		}
		if op == "update" {
			var act map[string]map[string]json.RawMessage
			if json.Unmarshal(action, &act) == nil && act["update"] != nil {
				u := partialUpdate{item: i, index: defaultIndex, meta: act["update"]}
				_ = json.Unmarshal(u.meta["_index"], &u.index)
				_ = json.Unmarshal(u.meta["_id"], &u.id)
				_ = json.Unmarshal(u.meta["routing"], &u.routing)
				if u.index != "" && u.id != "" {
					out = append(out, u)
				}
			}
		}
		i++
	}
	return out
}

// readBack returns body with its partial update items replaced by the documents read
// back from cluster at epoch, or body unchanged.
func (m *Mirror) readBack(r *http.Request, next http.Handler, path string, body []byte, cluster, epoch string) []byte {
	ups := partialUpdates(body, bulkIndexOf(path))
	if len(ups) == 0 {
		return body
	}
	docs, err := m.mget(r, next, ups, cluster, epoch)
	if err != nil {
		m.opts.Log.Warn("mirror: update items are journaled as partial updates, without versions", "items", len(ups), "err", err)
		return body
	}
	byItem := make(map[int][]byte, len(ups))
	for i, u := range ups {
		if line, src, ok := readBackItem(u, docs[i]); ok {
			byItem[u.item] = append(append(append(line, '\n'), src...), '\n')
		}
	}
	var out bytes.Buffer
	for i := 0; len(body) > 0; {
		start := body
		action := nextLine(&body)
		if len(bytes.TrimSpace(action)) == 0 {
			continue
		}
		if op, _ := actionName(bytes.TrimSpace(action)); op != "delete" {
			nextLine(&body)
		}
		if whole, ok := byItem[i]; ok {
			out.Write(whole)
		} else {
			out.Write(start[:len(start)-len(body)])
			if len(body) == 0 && !bytes.HasSuffix(start, []byte{'\n'}) {
				out.WriteByte('\n')
			}
		}
		i++
	}
	return out.Bytes()
}

// readDoc is one document of an _mget answer.
type readDoc struct {
	Found   bool            `json:"found"`
	Version *int64          `json:"_version"`
	Source  json.RawMessage `json:"_source"`
}

// mget reads ups' documents in real time through next, from cluster at epoch.
func (m *Mirror) mget(r *http.Request, next http.Handler, ups []partialUpdate, cluster, epoch string) (docs []readDoc, err error) {
	type want struct {
		Index   string `json:"_index"`
		ID      string `json:"_id"`
		Routing string `json:"routing,omitempty"`
	}
	ws := make([]want, len(ups))
	for i, u := range ups {
		ws[i] = want{u.index, u.id, u.routing}
	}
	b, err := json.Marshal(map[string]any{"docs": ws})
	if err != nil {
		return nil, err
	}
	// A read, not part of the write: the gate must not hold or count it.
	ctx := context.WithValue(r.Context(), writeKey{}, (*writeState)(nil))
	req := r.Clone(ctx)
	req.Method, req.URL.Path, req.URL.RawPath, req.URL.RawQuery = http.MethodPost, "/_mget", "", "realtime=true"
	req.RequestURI = req.URL.RequestURI()
	req.Body, req.ContentLength, req.TransferEncoding = io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	req.Header.Set("Content-Type", "application/json")
	req.Header.Del("Expect")
	buf := newBufferedWriter(m.opts.MaxResponse)
	defer func() {
		if p := recover(); p != nil { // the proxy aborts a response cut short
			docs, err = nil, fmt.Errorf("_mget aborted: %v", p)
		}
	}()
	next.ServeHTTP(buf, req)
	switch {
	case buf.over:
		return nil, errResponseTooLarge
	case buf.status != http.StatusOK:
		return nil, fmt.Errorf("_mget answered HTTP %d", buf.status)
	case buf.header.Get(headerCluster) != cluster || buf.header.Get(headerEpoch) != epoch:
		return nil, fmt.Errorf("_mget answered by %s at epoch %s, the write by %s at epoch %s",
			buf.header.Get(headerCluster), buf.header.Get(headerEpoch), cluster, epoch)
	}
	var a struct {
		Docs []readDoc `json:"docs"`
	}
	if err := json.Unmarshal(buf.body.Bytes(), &a); err != nil {
		return nil, fmt.Errorf("_mget answer: %w", err)
	}
	if len(a.Docs) != len(ups) {
		return nil, fmt.Errorf("_mget answered %d documents for %d asked", len(a.Docs), len(ups))
	}
	return a.Docs, nil
}

// readBackItem is the index action and source that replay u as the document read back.
func readBackItem(u partialUpdate, d readDoc) (line, source []byte, ok bool) {
	if !d.Found || d.Version == nil || len(d.Source) == 0 || d.Source[0] != '{' {
		return nil, nil, false
	}
	return indexItem(u.meta, *d.Version, d.Source)
}

// bulkIndexOf is the index a _bulk's path names (/<index>/_bulk), "" for /_bulk.
func bulkIndexOf(path string) string {
	p := strings.TrimSuffix(strings.TrimSuffix(path, "/"), "/_bulk")
	p = strings.TrimPrefix(p, "/")
	if p == "" || strings.Contains(p, "/") {
		return ""
	}
	idx, err := url.PathUnescape(p)
	if err != nil {
		return ""
	}
	return idx
}
