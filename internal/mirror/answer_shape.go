package mirror

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// A client may ask for a write's answer filtered (filter_path) or in another format
// (?format=yaml, Accept: application/yaml). A filtered _bulk answer can hide the item
// statuses that say which items to journal, and an answer esdr cannot parse says
// nothing. So the cluster is always asked for JSON holding the statuses, and esdr gives
// the client the shape it asked for itself. A format esdr cannot render (CBOR, SMILE)
// is refused before anything is forwarded.

// bulkStatusPath and bulkVersionPath are what a filtered _bulk answer must keep for
// AcceptedBulk.
const (
	bulkStatusPath  = "items.*.status"
	bulkVersionPath = "items.*._version"
)

// answerShape is how the client asked to get its answer.
type answerShape struct {
	filter    filterPath
	filtered  bool
	yaml      bool
	yamlType  string // the Content-Type of a YAML answer
	pretty    bool
	acceptFix string // the Accept header to send instead of the client's, if any
	wholeDoc  bool   // an update's answer holds the whole document, to journal (update.go)
	dropGet   bool   // esdr asked for it: the client gets the answer without it
	// bulkSource: esdr asked a _bulk's update items for their documents (update_bulk.go)
	// and removes them from the answer.
	bulkSource bool
}

// reshapes says whether esdr must rewrite the cluster's answer.
func (s answerShape) reshapes() bool { return s.filtered || s.yaml || s.dropGet || s.bulkSource }

// formats by short name (?format=) and by media type, with or without the
// vnd.elasticsearch+ prefix.
var formatKinds = map[string]string{
	"json": "json", "yaml": "yaml", "cbor": "cbor", "smile": "smile",
	"application/json": "json", "application/x-ndjson": "json", "application/yaml": "yaml",
	"application/cbor": "cbor", "application/smile": "smile", "application/x-yaml": "yaml",
}

// mediaKind is the format an Accept header asks for ("" for one Elasticsearch answers
// with JSON: anything unknown, */*), with the first media type it names and its
// parameters.
func mediaKind(accept string) (string, string, map[string]string) {
	first, _, _ := strings.Cut(accept, ",")
	mt, params, err := mime.ParseMediaType(strings.TrimSpace(first))
	if err != nil {
		return "", "", nil
	}
	if rest, ok := strings.CutPrefix(mt, "application/vnd.elasticsearch+"); ok {
		return formatKinds[rest], mt, params
	}
	return formatKinds[mt], mt, params
}

// shapeOf reads the answer's shape from the client's request, or says why esdr refuses
// the write: it cannot read or render the format asked for.
func shapeOf(r *http.Request) (answerShape, string) {
	q := r.URL.Query()
	var s answerShape
	if v := q.Get("filter_path"); v != "" {
		s.filter, s.filtered = parseFilterPath(v)
	}
	s.pretty = q.Has("pretty") && q.Get("pretty") != "false"
	kind, mt, params := mediaKind(r.Header.Get("Accept"))
	if kind != "" && kind != "json" { // the cluster is asked for JSON, keeping the API version
		jsonType := "application/json"
		if strings.HasPrefix(mt, "application/vnd.elasticsearch+") {
			jsonType = "application/vnd.elasticsearch+json"
		}
		s.acceptFix = mime.FormatMediaType(jsonType, params)
	}
	wanted, asked := kind, "Accept: "+mt
	if f := q.Get("format"); f != "" && formatKinds[strings.ToLower(f)] != "" {
		wanted, asked = formatKinds[strings.ToLower(f)], "format="+f
		mt, params = "application/"+wanted, nil
	}
	switch wanted {
	case "cbor", "smile":
		return s, fmt.Sprintf("mirror mode: a write answered in %s (%s) cannot be read to know what the cluster "+
			"accepted, and esdr does not render %s: nothing was sent; ask for JSON or YAML", wanted, asked, wanted)
	case "yaml":
		s.yaml, s.yamlType = true, "application/yaml"
		if strings.HasPrefix(mt, "application/vnd.elasticsearch+") {
			s.yamlType = mime.FormatMediaType("application/vnd.elasticsearch+yaml", params)
		}
	}
	return s, ""
}

// upstreamQueries returns the query to journal (without filter_path and format, which
// only shape the answer) and the one to forward: for a _bulk, the client's filter
// extended to keep the item statuses when that can be done, else no filter at all.
func (s answerShape) upstreamQueries(raw string, bulk bool) (journal, forward string) {
	journal = dropParams(raw, "filter_path", "format")
	forward = journal
	if bulk && s.filtered {
		if f := s.filter.upstream(bulkStatusPath, bulkVersionPath, bulkSourcePath); f != "" {
			forward = joinQuery(journal, "filter_path="+url.QueryEscape(f))
		}
	}
	return journal, forward
}

// dropParams removes the named parameters from a raw query and keeps the rest as the
// client wrote them.
func dropParams(raw string, names ...string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "&")
}

func joinQuery(a, b string) string {
	if a == "" {
		return b
	}
	return a + "&" + b
}

// reshape rewrites the held answer into the shape the client asked for. An answer that
// is not JSON (not from Elasticsearch) is left as it came; so is an error answer's
// content, which Elasticsearch does not filter either (it is still rendered as YAML).
func (s answerShape) reshape(b *bufferedWriter) error {
	if !s.reshapes() || b.over || b.body.Len() == 0 {
		return nil
	}
	tree, err := decodeTree(b.body.Bytes())
	if err != nil {
		return err
	}
	if s.dropGet {
		tree = dropGet(tree)
	}
	if s.bulkSource {
		tree = dropItemGets(tree)
	}
	if s.filtered && !isErrorAnswer(b.status, tree) {
		tree = s.filter.apply(tree)
	}
	out := encodeJSON(tree, s.pretty)
	if s.yaml {
		if out, err = encodeYAML(tree); err != nil {
			return err
		}
		b.header.Set("Content-Type", s.yamlType)
	}
	b.body.Reset()
	b.body.Write(out)
	return nil
}

// isErrorAnswer: an error answer has a top-level "error" and a status of 400 or more.
func isErrorAnswer(status int, tree any) bool {
	obj, ok := tree.(jsonObject)
	if !ok || status < 400 {
		return false
	}
	for _, m := range obj {
		if m.Key == "error" {
			return true
		}
	}
	return false
}
