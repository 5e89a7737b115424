package mirror

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// finish journals what the active cluster accepted, then answers the client in the
// shape it asked for. actions are rec.Body's action lines as Classify read them, for a _bulk (nil: none).
func (m *Mirror) finish(w http.ResponseWriter, r *http.Request, next http.Handler, buf *bufferedWriter, res *Reservation, rec Record, shape answerShape, actions []bulkAction) {
	cluster, epochText := buf.header.Get(headerCluster), buf.header.Get(headerEpoch)
	if buf.status == 0 || !Accepted(rec.Method, buf.status) && !buf.over {
		m.reply(w, r, buf, shape) // refused, or the proxy's own error: nothing changed, nothing to journal
		return
	}
	unknown := func(why string) {
		m.opts.Log.Error("mirror: a write the active cluster accepted is not journaled; the client is told its outcome is unknown",
			"method", rec.Method, "path", rec.Path, "cluster", cluster, "epoch", epochText, "err", why)
		m.answer(w, r, http.StatusBadGateway, typeOutcomeUnknown, "mirror mode: cluster "+cluster+
			" answered the write but it could not be journaled for the standby ("+why+"); its outcome is unknown: "+
			"check the document and retry if needed", cluster, epochText)
	}
	epoch, err := strconv.ParseUint(epochText, 10, 64)
	switch {
	case buf.over:
		unknown(errResponseTooLarge.Error())
		return
	case err != nil:
		unknown("the answer names no epoch")
		return
	}
	if _, ok := m.pair.Target(cluster); !ok {
		unknown(fmt.Sprintf("cluster %q is not one of the mirrored pair", cluster))
		return
	}
	var noStatus []int // _bulk items answered without a status: outcome unknown
	if isBulkPath(rec.Path) {
		acc, err := acceptedBulk(rec.Body, actions, buf.body.Bytes(), shape.bulkSource)
		if err != nil {
			unknown(err.Error())
			return
		}
		noStatus = acc.Unknown
		switch {
		case acc.Items == 0 && len(noStatus) == 0:
			m.reply(w, r, buf, shape) // every item refused
			return
		case acc.Items == 0:
			unknown(noStatusReason(noStatus, 0))
			return
		}
		rec.Body = m.readBack(r, next, rec.Path, acc.Body, cluster, epochText)
	} else if shape.wholeDoc {
		rec = wholeDoc(rec, buf.body.Bytes())
	} else {
		rec = versionedDoc(rec, buf.status, buf.body.Bytes())
	}
	rec.Epoch, rec.Cluster, rec.Time = epoch, cluster, time.Now()
	// The active cluster holds the write: journal it even if the client has gone.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), m.opts.AppendTimeout)
	defer cancel()
	seq, err := res.Append(ctx, rec)
	if err != nil {
		unknown(err.Error())
		return
	}
	m.noteAppended(cluster, seq)
	if len(noStatus) > 0 {
		unknown(noStatusReason(noStatus, seq))
		return
	}
	m.reply(w, r, buf, shape)
}

// noStatusReason says which _bulk items the active cluster answered without a status;
// seq is the record holding the items it did accept, if any.
func noStatusReason(items []int, seq uint64) string {
	nums := make([]string, 0, 10)
	for _, n := range items[:min(len(items), 10)] {
		nums = append(nums, strconv.Itoa(n))
	}
	if len(items) > 10 {
		nums = append(nums, "...")
	}
	why := fmt.Sprintf("its answer names no status for %d _bulk items (%s)", len(items), strings.Join(nums, ", "))
	if seq > 0 {
		why += fmt.Sprintf("; the items it accepted were journaled as seq %d", seq)
	}
	return why
}

// reply sends the held answer in the shape the client asked for; an answer esdr cannot
// reshape goes as the cluster gave it (the write is already accounted for).
func (m *Mirror) reply(w http.ResponseWriter, r *http.Request, buf *bufferedWriter, shape answerShape) {
	if err := shape.reshape(buf); err != nil {
		m.opts.Log.Warn("mirror: the answer is sent as the cluster gave it, not in the shape the client asked for",
			"method", r.Method, "path", r.URL.Path, "status", buf.status, "err", err)
	}
	buf.sendTo(w, r)
}
