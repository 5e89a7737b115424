package act

import "slices"

// What the executor shows of itself, for `esdr status` and the status page.

// Current returns a copy of the plan of the latest transition (running or finished), or
// nil when there has been none since start. For `esdr status`.
func (e *Executor) Current() *Plan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.current.Clone()
}

func (e *Executor) setCurrent(p *Plan) {
	e.mu.Lock()
	e.current = p.Clone()
	e.mu.Unlock()
}

// PendingFences names the clusters whose fence is deferred and still being retried.
func (e *Executor) PendingFences() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.fences))
	for c := range e.fences {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
