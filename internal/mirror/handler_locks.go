package mirror

import (
	"bytes"
	"hash/maphash"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// indexStripes are the index locks' stripes: a collision only makes an index-level
// write wait for document writes of an unrelated index.
const indexStripes = 64

// lockTable gives every write one order on the active cluster and in the journal: a
// write holds its locks from forwarding until its record is appended.
//
//   - A document write holds its index's stripe shared and its document's lock.
//   - A _bulk holds the stripes of every index and the locks of every document it
//     names, each taken once, index stripes in ascending order, then documents in
//     ascending (index, id) order: no deadlock.
//   - An index-level write (create, delete, mapping, alias of one index) holds its
//     index's stripe exclusively: no document write of that index runs meanwhile.
//   - POST /_aliases, which may name any index, holds everything exclusively.
//
// Documents are locked by their exact (index, id), not by stripes: two _bulk requests
// of a hundred documents each would nearly always share one of 1024 stripes and run one
// after the other, though they write different documents. A document without an id
// (the cluster makes one up) is not locked: no other write can name it before its
// client has the answer, which comes after the append.
//
// A write through an alias locks the alias's name, not the index behind it: writing one
// document through both an alias and its index at the same moment is not ordered.
type lockTable struct {
	seed  maphash.Seed
	all   sync.RWMutex
	index [indexStripes]sync.RWMutex
	mu    sync.Mutex
	docs  map[docRef]*docLock // the documents held or waited for
}

// docLock is one document's lock, in the table while anyone holds or waits for it.
type docLock struct {
	mu   sync.Mutex
	refs int // holders and waiters; guarded by lockTable.mu
}

func newLockTable() *lockTable {
	return &lockTable{seed: maphash.MakeSeed(), docs: map[docRef]*docLock{}}
}

// lockSet is what one request holds.
type lockSet struct {
	t        *lockTable
	all      bool       // exclusive on everything
	indexExc int        // an index stripe held exclusively, or -1
	indices  []int      // index stripes held shared, ascending
	docs     []docRef   // documents held, ascending
	held     []*docLock // their locks, in the same order
}

// docRef names one document.
type docRef struct{ index, id string }

func compareDocs(a, b docRef) int {
	if c := strings.Compare(a.index, b.index); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

func (t *lockTable) indexStripe(index string) int {
	return int(maphash.String(t.seed, index) % indexStripes)
}

// lock takes the locks for a write to docs of indices (shared), or, when docs is empty,
// the whole of index (exclusive), or everything when index is "".
func (t *lockTable) lock(index string, docs []docRef) *lockSet {
	s := &lockSet{t: t, indexExc: -1}
	if len(docs) == 0 && index == "" {
		s.all = true
		t.all.Lock()
		return s
	}
	t.all.RLock()
	if len(docs) == 0 {
		s.indexExc = t.indexStripe(index)
		t.index[s.indexExc].Lock()
		return s
	}
	for _, d := range docs {
		s.indices = append(s.indices, t.indexStripe(d.index))
		if d.id != "" {
			s.docs = append(s.docs, d)
		}
	}
	slices.Sort(s.indices)
	s.indices = slices.Compact(s.indices)
	slices.SortFunc(s.docs, compareDocs)
	s.docs = slices.Compact(s.docs)
	for _, i := range s.indices {
		t.index[i].RLock()
	}
	s.held = make([]*docLock, len(s.docs))
	for i, d := range s.docs {
		t.mu.Lock()
		l := t.docs[d]
		if l == nil {
			l = &docLock{}
			t.docs[d] = l
		}
		l.refs++
		t.mu.Unlock()
		l.mu.Lock()
		s.held[i] = l
	}
	return s
}

// unlock releases everything s holds.
func (s *lockSet) unlock() {
	t := s.t
	if s.all {
		t.all.Unlock()
		return
	}
	for i := len(s.held) - 1; i >= 0; i-- {
		l := s.held[i]
		l.mu.Unlock()
		t.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(t.docs, s.docs[i])
		}
		t.mu.Unlock()
	}
	for _, i := range slices.Backward(s.indices) {
		t.index[i].RUnlock()
	}
	if s.indexExc >= 0 {
		t.index[s.indexExc].Unlock()
	}
	t.all.RUnlock()
}

// lockTarget says what a replicable write must lock: the documents it names, or the
// index it changes as a whole (docs empty), or everything (index "" and docs empty).
// actions are a _bulk body's action lines as Classify read them (nil: read them here).
func lockTarget(method, path string, body []byte, actions []bulkAction) (string, []docRef) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	if segs[0] == "_bulk" {
		return "", bulkDocs(body, "", actions)
	}
	if strings.HasPrefix(segs[0], "_") {
		return "", nil // POST /_aliases
	}
	index := segs[0]
	if len(segs) == 3 && (segs[1] == "_doc" || segs[1] == "_create" || segs[1] == "_update") {
		return index, []docRef{{index, segs[2]}}
	}
	if len(segs) == 2 && segs[1] == "_doc" && method == http.MethodPost {
		return index, []docRef{{index, ""}} // a new document, its id made up by the cluster
	}
	if len(segs) == 2 && segs[1] == "_bulk" && method != http.MethodDelete {
		if docs := bulkDocs(body, index, actions); len(docs) > 0 {
			return index, docs
		}
	}
	return index, nil
}

// bulkDocs lists the documents of a _bulk body Classify accepted; actions are its
// action lines as Classify read them, or nil.
func bulkDocs(body []byte, defaultIndex string, actions []bulkAction) []docRef {
	var out []docRef
	for i := 0; len(body) > 0; {
		line := nextLine(&body)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		op, meta, err := actionAt(actions, i, line)
		i++
		if err != nil {
			continue
		}
		if meta.Index == "" {
			meta.Index = defaultIndex
		}
		out = append(out, docRef{meta.Index, meta.ID})
		if op != "delete" {
			nextLine(&body)
		}
	}
	return out
}
