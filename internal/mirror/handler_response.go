package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Error types mirror mode answers with, in Elasticsearch's error shape, besides the
// policy's esdr_mirror_mode_exception (RefusalBody).
const (
	// typeJournalFull: the journal holds its maximum because the standby lags.
	typeJournalFull = "esdr_mirror_journal_full"
	// typeUnavailable: the journal cannot take writes (failed, closed), or the cluster
	// writes would go to is still applying journaled writes.
	typeUnavailable = "esdr_mirror_unavailable"
	// typeTooLarge: a write body over mirror.max_body.
	typeTooLarge = "esdr_mirror_body_too_large"
	// typeOutcomeUnknown: the active cluster accepted the write but it could not be
	// journaled; the proxy's own type for a write of unknown outcome.
	typeOutcomeUnknown = "esdr_write_outcome_unknown"
)

// answerTypes are every error type mirror mode answers with itself, for Answers.
var answerTypes = []string{"esdr_mirror_mode_exception", typeTooLarge, "esdr_bad_request_body",
	typeJournalFull, typeUnavailable, typeOutcomeUnknown}

// answer counts an error mirror mode gives itself, then writes it.
func (m *Mirror) answer(w http.ResponseWriter, r *http.Request, status int, typ, reason string, cluster, epoch string) {
	if c := m.answers[typ]; c != nil {
		c.Add(1)
	}
	writeError(w, r, status, typ, reason, cluster, epoch)
}

// Answers counts, by error type, the requests mirror mode answered itself since start
// (refused by the policy, too large, journal full, held past the drain wait, outcome
// unknown).
func (m *Mirror) Answers() map[string]uint64 {
	out := make(map[string]uint64, len(m.answers))
	for typ, c := range m.answers {
		out[typ] = c.Load()
	}
	return out
}

var errResponseTooLarge = errors.New("mirror: the active cluster's answer is over mirror's response bound")

// bufferedWriter holds the active cluster's answer to a write until it is journaled.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	max    int64
	over   bool
}

func newBufferedWriter(max int64) *bufferedWriter {
	return &bufferedWriter{header: http.Header{}, max: max}
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if int64(b.body.Len()+len(p)) > b.max {
		b.over = true
		return 0, errResponseTooLarge
	}
	return b.body.Write(p)
}

// sendTo writes the held answer to the client.
func (b *bufferedWriter) sendTo(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(b.body.Len()))
	w.WriteHeader(b.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.body.Bytes())
	}
}

// writeError answers with an Elasticsearch-shaped error, as the proxy and the policy do:
// {"error":{"root_cause":[{"type":..,"reason":..}],"type":..,"reason":..},"status":..}.
// cluster and epoch, when known, name the cluster that accepted the write.
func writeError(w http.ResponseWriter, r *http.Request, status int, typ, reason string, cluster, epoch string) {
	cause := map[string]string{"type": typ, "reason": reason}
	b, _ := json.Marshal(map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason},
		"status": status,
	})
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if cluster != "" {
		h.Set(headerCluster, cluster)
		h.Set(headerEpoch, epoch)
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// The proxy's response headers naming the cluster and epoch that answered.
const (
	headerCluster = "X-Esdr-Cluster"
	headerEpoch   = "X-Esdr-Epoch"
)
