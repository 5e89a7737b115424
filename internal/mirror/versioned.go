package mirror

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// A record replays on the other cluster with the _version the active cluster gave the
// write, as an external version: the other cluster then keeps the newest copy of a
// document whatever order records reach it in, and a record applied twice (after a
// crash) leaves it as it was. One esdr orders the writes of a document with its locks;
// several esdr members (a fleet) each journal what their own proxy took, and replay in
// their own order: the version is what orders them. external_gte, not external, so that
// the same record applied again is a success, not a conflict.
//
// Only index and delete operations carry versions. A create stays a create (only
// internal versioning is allowed for it, and data streams take nothing else): it either
// makes the document or finds it there, the same outcome in any order. An update stays
// a partial update (Elasticsearch refuses external versions on updates). A delete the
// active cluster answered 404 stays a plain delete: the active cluster holds nothing,
// so neither may the other, whatever version it holds.
//
// Two things follow for operators (docs/mirror.md): a document whose version on the
// other cluster is already higher (written there directly, or replayed twice before
// esdr journaled versions) keeps that copy until the active cluster's version passes it;
// and a replayed delete leaves a tombstone only for index.gc_deletes (60 s by default),
// after which an older index operation of the same document, replayed late, would bring
// it back: the replay lag must stay below it.
const replayVersionType = "external_gte"

// versionParams are the parameters a versioned record must not keep from the client:
// its own versioning, and the active cluster's sequence numbers, which mean nothing on
// the other cluster (the replay drops them too, for records journaled before).
var versionParams = []string{"version", "version_type", "if_seq_no", "if_primary_term"}

// versionedDoc returns rec, a single-document write the active cluster accepted with
// status and answer resp, rewritten to replay with the version it gave; rec as it was
// for anything else.
func versionedDoc(rec Record, status int, resp []byte) Record {
	op, _, ok := docOp(rec)
	if !ok || op == "create" || op == "delete" && status == http.StatusNotFound {
		return rec
	}
	var a struct {
		Version *int64 `json:"_version"`
	}
	if json.Unmarshal(resp, &a) != nil || a.Version == nil {
		return rec
	}
	q := dropParams(rec.Query, versionParams...)
	rec.Query = joinQuery(q, "version="+strconv.FormatInt(*a.Version, 10)+"&version_type="+replayVersionType)
	return rec
}

// versionedAction returns the action line of an accepted _bulk item of op, rewritten to
// replay with version (nil: the answer gave none) and without the active cluster's
// sequence numbers; the line as it was when nothing changes. An update keeps its line
// but loses if_seq_no and if_primary_term, which the other cluster would refuse with a
// conflict that the replay takes for "already applied".
func versionedAction(op string, line []byte, status int, version *int64) []byte {
	versioned := version != nil && (op == "index" || op == "delete" && status != http.StatusNotFound)
	if op == "create" || !versioned && !bytes.Contains(line, []byte(`"if_`)) {
		return line
	}
	if versioned && !bytes.Contains(line, []byte(`"version`)) && !bytes.Contains(line, []byte(`"if_`)) {
		if out, ok := spliceVersion(line, *version); ok {
			return out
		}
	}
	var action map[string]map[string]json.RawMessage
	if json.Unmarshal(line, &action) != nil || action[op] == nil {
		return line // Classify read it; a line it could not would not be here
	}
	meta := action[op]
	for _, k := range versionParams {
		delete(meta, k)
	}
	if versioned {
		meta["version"] = json.RawMessage(strconv.FormatInt(*version, 10))
		meta["version_type"] = json.RawMessage(`"` + replayVersionType + `"`)
	}
	out, err := json.Marshal(action)
	if err != nil {
		return line
	}
	return out
}

// spliceVersion inserts the version into the metadata object of an action line that
// names no version and no sequence number, without decoding it: the first ':' of the
// line ends the action's name, and the metadata object opens after it.
func spliceVersion(line []byte, version int64) ([]byte, bool) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return nil, false
	}
	j := i + 1
	for j < len(line) && isSpace(line[j]) {
		j++
	}
	if j >= len(line) || line[j] != '{' {
		return nil, false
	}
	k := j + 1
	for k < len(line) && isSpace(line[k]) {
		k++
	}
	if k >= len(line) {
		return nil, false
	}
	out := make([]byte, 0, len(line)+48)
	out = append(out, line[:j+1]...)
	out = append(out, `"version":`...)
	out = strconv.AppendInt(out, version, 10)
	out = append(out, `,"version_type":"`+replayVersionType+`"`...)
	if line[k] != '}' {
		out = append(out, ',')
	}
	return append(out, line[j+1:]...), true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
