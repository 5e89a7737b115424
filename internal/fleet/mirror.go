package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// MirrorReport is what one member's mirror journal owes each cluster of the pair, under
// mirror/<member> WITHOUT a lease: a member whose host died leaves its last report, so
// that the writes it journaled and never replayed stay owed — the leader counts them
// against the failover bound, and every member's gate holds writes to the cluster owed
// — until it returns and replays them, or an operator gives them up (Forget).
type MirrorReport struct {
	Member string `json:"member"`
	// Epoch is the epoch the member followed when it reported: a report from before a
	// failover says nothing of the writes the member took up to it.
	Epoch uint64    `json:"epoch"`
	At    time.Time `json:"at"`
	// Owes is, by cluster, the journaled writes it still lacks plus the member's writes
	// in flight to the other cluster (each becomes such a record when answered).
	Owes map[string]uint64 `json:"owes"`
}

// PublishMirror puts r as this member's report.
func (m *Member) PublishMirror(ctx context.Context, r MirrorReport) error {
	r.Member = m.opts.Name
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("fleet: encode mirror report: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	if _, err := m.cli.Put(ctx, m.key("mirror/", m.opts.Name), string(raw)); err != nil {
		return fmt.Errorf("fleet: %s: publish mirror report: %w", m.opts.Name, err)
	}
	return nil
}

// ForgetMirror deletes member's report: what it owed is given up (its host is gone for
// good). It reports whether there was one.
func (m *Member) ForgetMirror(ctx context.Context, member string) (bool, error) {
	if member == "" || strings.Contains(member, "/") {
		return false, fmt.Errorf("fleet: member name %q must be non-empty and without '/'", member)
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	resp, err := m.cli.Delete(ctx, m.key("mirror/", member))
	if err != nil {
		return false, fmt.Errorf("fleet: forget the mirror report of %s: %w", member, err)
	}
	return resp.Deleted > 0, nil
}

// MirrorReports lists every member's last report, live or not, by member name. A value
// that does not decode is skipped.
func (m *Member) MirrorReports(ctx context.Context) ([]MirrorReport, error) {
	kvs, err := m.list(ctx, "mirror/")
	if err != nil {
		return nil, err
	}
	out := make([]MirrorReport, 0, len(kvs))
	for _, kv := range kvs {
		if r, ok := decodeReport(kv.Value); ok {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Member < out[j].Member })
	return out, nil
}

func decodeReport(raw []byte) (MirrorReport, bool) {
	var r MirrorReport
	if json.Unmarshal(raw, &r) != nil || r.Member == "" {
		return MirrorReport{}, false
	}
	return r, true
}

// Owed sums what the reports say cluster is owed, and names who owes it, largest first,
// for a refusal: "esdr-2 owes 40 (reported 35s ago at epoch 3)".
func Owed(reports []MirrorReport, cluster string, now time.Time) (uint64, string) {
	var total uint64
	var who []MirrorReport
	for _, r := range reports {
		if n := r.Owes[cluster]; n > 0 {
			total += n
			who = append(who, r)
		}
	}
	sort.Slice(who, func(i, j int) bool { return who[i].Owes[cluster] > who[j].Owes[cluster] })
	parts := make([]string, 0, len(who))
	for _, r := range who {
		parts = append(parts, fmt.Sprintf("%s owes %d (reported %s ago at epoch %d)",
			r.Member, r.Owes[cluster], now.Sub(r.At).Round(time.Second), r.Epoch))
	}
	return total, strings.Join(parts, ", ")
}

// OwedText says what a member's report owes each cluster, clusters by name:
// "primary 3, standby 0".
func OwedText(owes map[string]uint64) string {
	names := make([]string, 0, len(owes))
	for n := range owes {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, owes[n]))
	}
	return strings.Join(parts, ", ")
}
