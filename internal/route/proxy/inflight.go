package proxy

import "sync"

// inflight is the attempts a pool tells when it retires, as an intrusive list: joining
// and leaving it costs no allocation, where a context.AfterFunc per attempt cost three.
type inflight struct {
	mu      sync.Mutex
	head    *result
	retired bool
}

// watch adds res; false when the pool has retired already (res is not added).
func (l *inflight) watch(res *result) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.retired {
		return false
	}
	res.prev, res.next, res.watched = nil, l.head, true
	if l.head != nil {
		l.head.prev = res
	}
	l.head = res
	return true
}

// unwatch removes res; false when it was not in the list any more: the pool retired
// and res.retired has run or is running.
func (l *inflight) unwatch(res *result) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !res.watched {
		return false
	}
	res.watched = false
	if res.prev != nil {
		res.prev.next = res.next
	} else {
		l.head = res.next
	}
	if res.next != nil {
		res.next.prev = res.prev
	}
	res.prev, res.next = nil, nil
	return true
}

// retire empties the list for good and calls retired on each attempt that was in it.
func (l *inflight) retire() {
	l.mu.Lock()
	l.retired = true
	var all []*result
	for res := l.head; res != nil; res = res.next {
		res.watched = false
		all = append(all, res)
	}
	l.head = nil
	l.mu.Unlock()
	for _, res := range all {
		res.retired()
	}
}
