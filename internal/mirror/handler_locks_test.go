package mirror

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLockTarget(t *testing.T) {
	bulk := []byte("{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n{\"delete\":{\"_id\":\"2\"}}\n")
	cases := []struct {
		method, path string
		body         []byte
		want         string
	}{
		{"PUT", "/orders/_doc/1", nil, "orders [{orders 1}]"},
		{"POST", "/orders/_update/a%2Fb", nil, "orders [{orders a/b}]"},
		{"POST", "/orders/_create/x", nil, "orders [{orders x}]"},
		{"POST", "/orders/_doc", nil, "orders [{orders }]"},
		{"PUT", "/orders", nil, "orders []"},
		{"PUT", "/orders/_mapping", nil, "orders []"},
		{"POST", "/_aliases", nil, " []"},
		{"POST", "/_bulk", bulk, " [{a 1} { 2}]"},
		{"POST", "/b/_bulk", bulk, "b [{a 1} {b 2}]"},
	}
	for _, c := range cases {
		index, docs := lockTarget(c.method, c.path, c.body, nil)
		if got := fmt.Sprintf("%s %v", index, docs); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

// TestLocksNoDeadlock takes overlapping document, _bulk, index and global locks from
// many goroutines at once: with every set taken in ascending order, all finish.
func TestLocksNoDeadlock(t *testing.T) {
	lt := newLockTable()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				var s *lockSet
				switch (g + i) % 7 {
				case 0:
					s = lt.lock("", nil)
				case 1, 2:
					s = lt.lock(fmt.Sprint("i", i%3), nil)
				default:
					var docs []docRef
					for k := range 1 + i%5 {
						docs = append(docs, docRef{fmt.Sprint("i", (i+k)%3), fmt.Sprint(g*k + i)})
					}
					s = lt.lock("", docs)
				}
				s.unlock()
			}
		}()
	}
	wg.Wait()
}

func bulkOf(index string, from, n int) []docRef {
	docs := make([]docRef, n)
	for i := range docs {
		docs[i] = docRef{index, fmt.Sprint(from + i)}
	}
	return docs
}

// TestBulksOfDifferentDocumentsDoNotWaitForEachOther: two _bulk requests of a hundred
// documents each, none shared, hold their locks at the same time (with stripes they
// nearly always shared one and ran one after the other).
func TestBulksOfDifferentDocumentsDoNotWaitForEachOther(t *testing.T) {
	lt := newLockTable()
	a := lt.lock("", bulkOf("logs", 0, 100))
	got := make(chan *lockSet)
	go func() { got <- lt.lock("", bulkOf("logs", 100, 100)) }()
	select {
	case b := <-got:
		b.unlock()
	case <-time.After(time.Minute): // a safety net: without a shared document there is nothing to wait for
		t.Fatal("a _bulk of other documents waited for the first")
	}
	a.unlock()
	if n := len(lt.docs); n != 0 {
		t.Errorf("%d document locks left in the table after every unlock", n)
	}
}

// TestAWriteOfTheSameDocumentWaits: a second write of a document held by a _bulk waits
// until the bulk's locks are released; documents without an id are not locked.
func TestAWriteOfTheSameDocumentWaits(t *testing.T) {
	lt := newLockTable()
	a := lt.lock("", append(bulkOf("logs", 0, 100), docRef{"logs", ""}))
	var acquired atomic.Bool
	done := make(chan struct{})
	go func() {
		b := lt.lock("logs", []docRef{{"logs", "42"}, {"logs", ""}})
		acquired.Store(true)
		b.unlock()
		close(done)
	}()
	for { // the second write is registered on the document's lock: it waits there
		lt.mu.Lock()
		waiting := lt.docs[docRef{"logs", "42"}].refs == 2
		lt.mu.Unlock()
		if waiting {
			break
		}
		runtime.Gosched()
	}
	if acquired.Load() {
		t.Fatal("the second write took a document the bulk still holds")
	}
	if _, ok := lt.docs[docRef{"logs", ""}]; ok {
		t.Error("a document without an id was locked")
	}
	a.unlock()
	<-done
	if n := len(lt.docs); n != 0 {
		t.Errorf("%d document locks left in the table after every unlock", n)
	}
}
