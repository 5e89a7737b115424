package admin

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const codeBusy = "busy"

// busyRetry is the Retry-After given while another call of the same costly route runs:
// such calls take seconds (a count comparison retries for up to 5 s).
const busyRetry = 5 * time.Second

// gate bounds what a costly route (one that fans out to the clusters or runs a plan's
// worth of steps) may cost: one call at a time, and calls started at least spacing
// apart, so that a client in a loop cannot turn the admin API into load on the clusters.
type gate struct {
	spacing time.Duration
	now     func() time.Time

	mu   sync.Mutex
	busy bool
	last time.Time // when the last call started
}

func newGate(spacing time.Duration) *gate { return &gate{spacing: spacing, now: time.Now} }

// enter lets a call in and returns the function that lets it out; or, when the call must
// wait, how long and why.
func (g *gate) enter() (leave func(), wait time.Duration, why string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	switch {
	case g.busy:
		return nil, busyRetry, "another call is running; one runs at a time"
	case !g.last.IsZero() && now.Sub(g.last) < g.spacing:
		return nil, g.spacing - now.Sub(g.last), fmt.Sprintf("calls start at most once per %s", g.spacing)
	}
	g.busy, g.last = true, now
	return func() {
		g.mu.Lock()
		g.busy = false
		g.mu.Unlock()
	}, 0, ""
}

// gates are the server's costly routes' gates.
type gates struct{ counts, resync, reapply *gate }

// countsSpacing is how far apart count comparisons start: each lists every index of two
// clusters.
const countsSpacing = time.Second

func newGates() gates {
	return gates{counts: newGate(countsSpacing), resync: newGate(0), reapply: newGate(0)}
}

// serve runs h through the gate, or answers 429 with Retry-After in whole seconds.
func (g *gate) serve(w http.ResponseWriter, r *http.Request, h func()) {
	leave, wait, why := g.enter()
	if leave == nil {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, codeBusy, fmt.Sprintf("%s %s: %s; retry in %ds", r.Method, r.URL.Path, why, secs))
		return
	}
	defer leave()
	h()
}
