package mirror

import (
	"fmt"
	"sync"
	"testing"
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
		{"PUT", "/orders", nil, "orders []"},
		{"PUT", "/orders/_mapping", nil, "orders []"},
		{"POST", "/_aliases", nil, " []"},
		{"POST", "/_bulk", bulk, " [{a 1} { 2}]"},
		{"POST", "/b/_bulk", bulk, "b [{a 1} {b 2}]"},
	}
	for _, c := range cases {
		index, docs := lockTarget(c.method, c.path, c.body)
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
