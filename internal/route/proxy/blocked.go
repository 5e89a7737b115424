package proxy

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// blockedRetryEvery is the pause between attempts of a write the new active cluster
// refused with its read-only block, while the plan that lifts the block is running.
const blockedRetryEvery = 200 * time.Millisecond

// blockedByFence reports whether a write was refused because the cluster is read-only
// (cluster.blocks.read_only, which esdr itself sets when it fences a cluster and lifts
// when it promotes one). Elasticsearch and OpenSearch check that block before executing
// anything, so such a write was not applied and repeating it is safe.
func blockedByFence(res *result, k kind) bool {
	return k == kindWrite && res.resp != nil && res.resp.StatusCode == http.StatusForbidden &&
		bytes.Contains(res.first, []byte("cluster_block_exception")) &&
		bytes.Contains(res.first, []byte("read-only"))
}

// holdBlocked decides whether to retry a write refused with the read-only block, which
// means it was not applied. Two moments of a transition produce that refusal: the new
// active cluster before the plan's unfence step ran (the proxy switches at the epoch
// change, the plan right after), and the old one just fenced while the proxy still sent
// it this request. So: within the first failover_wait of an epoch, or when this pool's
// epoch has ended (the retry then goes to the new cluster), and only when the body can be
// sent again. It waits blockedRetryEvery and reports true to retry.
func (p *Proxy) holdBlocked(ctx context.Context, pl *pool, res *result, k kind, body *replay) bool {
	if !blockedByFence(res, k) { // first: nearly every answer, and no clock read
		return false
	}
	young := time.Since(pl.created) <= p.cfg.FailoverWait
	if !(young || pl.isRetired()) || (body != nil && !body.canReplay()) {
		return false
	}
	res.done()
	p.m.retry(retryBlocked)
	t := time.NewTimer(blockedRetryEvery)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return true // the next attempt sees the context and ends the request
	}
}
