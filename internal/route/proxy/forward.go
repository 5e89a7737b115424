package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// maxAttempts bounds the attempts of one request across nodes and epochs.
const maxAttempts = 12

// errClientGone ends a request whose client went away; nothing is answered.
var errClientGone = errors.New("proxy: client went away")

// ServeHTTP forwards r to the active cluster of the current epoch.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e := reject(r); e != nil {
		e.write(w, r, "", 0)
		p.m.request("", e.status)
		return
	}
	k := classify(r)
	var body *replay
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		body = newReplay(r.Body, p.cfg.MaxRetryBody, r.ContentLength)
	}
	res, pl, err := p.forward(r, k, body)
	if err != nil {
		p.fail(w, r, pl, k, err)
		return
	}
	defer res.done()
	status, streamErr := p.respond(w, pl, res)
	p.m.request(pl.cluster, status)
	if streamErr != nil && r.Context().Err() == nil {
		res.node.failed(time.Now())
		p.log.Warn("proxy: response cut short", "cluster", pl.cluster, "epoch", pl.epoch,
			"node", res.node.raw, "method", r.Method, "path", r.URL.Path, "err", streamErr)
		panic(http.ErrAbortHandler) // the client must see a broken response, not a short one
	}
}

// fail answers a request that got no response from any node.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, pl *pool, k kind, err error) {
	if errors.Is(err, errClientGone) {
		p.m.request(clusterOf(pl), 499)
		return
	}
	e := asESError(err)
	var epoch uint64
	if pl != nil {
		epoch = pl.epoch
	}
	if e.typ == typeUnavailable {
		p.m.failedClosed()
	}
	p.m.request(clusterOf(pl), e.status)
	p.log.Warn("proxy: request failed", "type", e.typ, "kind", k.String(), "method", r.Method,
		"path", r.URL.Path, "cluster", clusterOf(pl), "epoch", epoch, "reason", e.reason)
	e.write(w, r, clusterOf(pl), epoch)
}

func clusterOf(pl *pool) string {
	if pl == nil {
		return ""
	}
	return pl.cluster
}

// forward runs the attempts: each on a node of the current epoch's cluster, the epoch
// read right before it; another node after a retryable failure; and, once every node
// has failed, a probe burst and a wait of up to failover_wait for a new epoch.
func (p *Proxy) forward(r *http.Request, k kind, body *replay) (*result, *pool, error) {
	ctx := r.Context()
	var (
		cur      *pool
		tried    []bool
		lastErr  error
		deadline time.Time // end of the failover wait, set when it starts
		triedBuf [16]bool  // tried's storage for clusters of up to 16 nodes
	)
	for attempts := 0; attempts < maxAttempts; {
		changed := p.r.EpochChanged()
		pl, err := p.pools.current(ctx, k == kindWrite)
		if err != nil {
			if ctx.Err() != nil {
				return nil, cur, errClientGone
			}
			return nil, cur, err
		}
		if pl != cur {
			if cur != nil {
				if _, across := k.retryable(false); !across {
					return nil, cur, newESError(http.StatusBadGateway, typeUpstreamUnreachable, fmt.Sprintf(
						"the active cluster changed from %q to %q (epoch %d) during a %s request, which is only valid on the cluster it started on: %v",
						cur.cluster, pl.cluster, pl.epoch, k, lastErr))
				}
				p.m.retry(retryFailover)
			}
			cur, tried = pl, triedFor(triedBuf[:], len(pl.nodes))
		}
		now := time.Now()
		i, n := pl.pick(tried, now)
		if n == nil {
			if _, across := k.retryable(false); !across {
				return nil, pl, lastErr
			}
			p.prober.ProbeNow(pl.cluster)
			if deadline.IsZero() {
				deadline = now.Add(p.cfg.FailoverWait)
			}
			if !waitEpoch(ctx, changed, deadline) {
				if ctx.Err() != nil {
					return nil, pl, errClientGone
				}
				return nil, pl, newESError(http.StatusBadGateway, typeUpstreamUnreachable, fmt.Sprintf(
					"no node of cluster %q (epoch %d) could serve the request and no failover was decided within %s: %v",
					pl.cluster, pl.epoch, p.cfg.FailoverWait, lastErr))
			}
			continue
		}
		tried[i] = true
		if body != nil && attempts > 0 && !body.canReplay() {
			return nil, pl, newESError(http.StatusBadGateway, typeUpstreamUnreachable, fmt.Sprintf(
				"not retried: the request body is larger than max_retry_body (%d bytes): %v", p.cfg.MaxRetryBody, lastErr))
		}
		payload, err := p.payloadFor(ctx, pl, body)
		if err != nil {
			return nil, pl, err
		}
		attempts++
		res := p.attempt(ctx, pl, n, r, body, payload, k)
		if res.err == nil {
			n.succeeded()
			if p.holdBlocked(ctx, pl, res, k, body) {
				tried = triedFor(triedBuf[:], len(pl.nodes))
				continue
			}
			return res, pl, nil
		}
		if ctx.Err() != nil {
			return nil, pl, errClientGone
		}
		if err := body.clientFailed(); err != nil {
			return nil, pl, newESError(http.StatusBadRequest, typeBadRequest, err.Error()) // cut short of its framing: not applied
		}
		if e, ok := res.err.(*esError); ok {
			return nil, pl, e // signing failed: nothing was sent, no node is to blame
		}
		if !errors.Is(res.err, errRetired) {
			n.failed(now)
			if pl.allDown(now) && pl.probeDue(now) {
				p.prober.ProbeNow(pl.cluster)
			}
		}
		lastErr = describe(res, pl, k)
		again, _ := k.retryable(res.delivered)
		if !again {
			return nil, pl, lastErr
		}
		if res.delivered {
			p.m.retry(retryReadFailed)
		} else {
			p.m.retry(retryNotDelivered)
		}
	}
	return nil, cur, fmt.Errorf("gave up after %d attempts: %w", maxAttempts, lastErr)
}

// triedFor returns n cleared flags, in buf when it is large enough.
func triedFor(buf []bool, n int) []bool {
	if n > len(buf) {
		return make([]bool, n)
	}
	clear(buf[:n])
	return buf[:n]
}

// describe turns a failed attempt into the answer the client gets if it is the last.
func describe(res *result, pl *pool, k kind) error {
	where := fmt.Sprintf("node %s of cluster %q (epoch %d)", res.node.raw, pl.cluster, pl.epoch)
	switch {
	case k == kindWrite && res.delivered && errors.Is(res.err, errRetired):
		return newESError(http.StatusBadGateway, typeWriteOutcomeUnknown, fmt.Sprintf(
			"the active cluster changed while the write was in flight to %s: it may or may not have been applied there, and esdr does not replay it",
			where))
	case k == kindWrite && res.delivered:
		return newESError(http.StatusBadGateway, typeWriteOutcomeUnknown, fmt.Sprintf(
			"the write was sent to %s and the connection failed before an answer (%v): it may or may not have been applied, and esdr does not replay it",
			where, res.err))
	case isTimeout(res.err):
		return newESError(http.StatusGatewayTimeout, typeUpstreamTimeout, fmt.Sprintf("%s: %v", where, res.err))
	}
	return newESError(http.StatusBadGateway, typeUpstreamUnreachable, fmt.Sprintf("%s: %v", where, res.err))
}

// waitEpoch waits for the epoch to change until deadline; false when it did not.
func waitEpoch(ctx context.Context, changed <-chan struct{}, deadline time.Time) bool {
	select {
	case <-changed:
		return true
	default:
	}
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-changed:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}
