package mirror

import (
	"hash/maphash"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Stripes of the lock table: collisions only serialize unrelated writes a little.
const (
	docStripes   = 1024
	indexStripes = 64
)

// lockTable gives every write one order on the active cluster and in the journal: a
// write holds its locks from forwarding until its record is appended.
//
//   - A document write holds its index's stripe shared and its document's stripe.
//   - A _bulk holds the stripes of every index and every document it names, shared and
//     exclusive as above, each taken once, in ascending order (no deadlock).
//   - An index-level write (create, delete, mapping, alias of one index) holds its
//     index's stripe exclusively: no document write of that index runs meanwhile.
//   - POST /_aliases, which may name any index, holds everything exclusively.
//
// A write through an alias locks the alias's name, not the index behind it: writing one
// document through both an alias and its index at the same moment is not ordered.
type lockTable struct {
	seed  maphash.Seed
	all   sync.RWMutex
	index [indexStripes]sync.RWMutex
	doc   [docStripes]sync.Mutex
}

func newLockTable() *lockTable { return &lockTable{seed: maphash.MakeSeed()} }

// lockSet is what one request holds.
type lockSet struct {
	t        *lockTable
	all      bool  // exclusive on everything
	indexExc int   // an index stripe held exclusively, or -1
	indices  []int // index stripes held shared, ascending
	docs     []int // document stripes, ascending
}

// docRef names one document.
type docRef struct{ index, id string }

func (t *lockTable) indexStripe(index string) int {
	return int(maphash.String(t.seed, index) % indexStripes)
}

func (t *lockTable) docStripe(d docRef) int {
	return int(maphash.String(t.seed, d.index+"\x00"+d.id) % docStripes)
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
		s.docs = append(s.docs, t.docStripe(d))
	}
	slices.Sort(s.indices)
	s.indices = slices.Compact(s.indices)
	slices.Sort(s.docs)
	s.docs = slices.Compact(s.docs)
	for _, i := range s.indices {
		t.index[i].RLock()
	}
	for _, i := range s.docs {
		t.doc[i].Lock()
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
	for _, i := range slices.Backward(s.docs) {
		t.doc[i].Unlock()
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
func lockTarget(method, path string, body []byte) (string, []docRef) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	if segs[0] == "_bulk" {
		return "", bulkDocs(body, "")
	}
	if strings.HasPrefix(segs[0], "_") {
		return "", nil // POST /_aliases
	}
	index := segs[0]
	if len(segs) == 3 && (segs[1] == "_doc" || segs[1] == "_create" || segs[1] == "_update") {
		return index, []docRef{{index, segs[2]}}
	}
	if len(segs) == 2 && segs[1] == "_bulk" && method != http.MethodDelete {
		if docs := bulkDocs(body, index); len(docs) > 0 {
			return index, docs
		}
	}
	return index, nil
}

// bulkDocs lists the documents of a _bulk body Classify accepted.
func bulkDocs(body []byte, defaultIndex string) []docRef {
	var out []docRef
	for len(body) > 0 {
		line := nextLine(&body)
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		op, meta, err := parseAction(line)
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
