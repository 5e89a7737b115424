package watch

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

func TestTracker(t *testing.T) {
	const (
		H = health.KindHealthy
		D = health.KindDegraded
		R = health.KindRed
		T = health.KindTimeout
		U = health.KindUnreachable
	)
	for _, tc := range []struct {
		name       string
		fail, succ int
		kinds      []health.Kind
		verdicts   string // one letter per result: ? unknown, u up, d down
		changedAt  []int  // indexes of results that changed the verdict
		finalFails int
	}{
		{"unknown until success threshold", 3, 2, []health.Kind{H, H, H}, "?uu", []int{1}, 0},
		{"degraded passes", 3, 2, []health.Kind{D, D}, "?u", []int{1}, 0},
		{"unknown until failure threshold", 2, 2, []health.Kind{U, T}, "?d", []int{1}, 2},
		{"one failure does not flip up", 3, 1, []health.Kind{H, R, R, H, R, R}, "uuuuuu", []int{0}, 2},
		{"three failures flip up to down", 3, 1, []health.Kind{H, R, T, U, U}, "uuudd", []int{0, 3}, 4},
		{"back up needs success threshold", 1, 3, []health.Kind{U, H, H, U, H, H, H}, "ddddddu", []int{0, 6}, 0},
		{"alternating never decides", 2, 2, []health.Kind{H, R, H, R, H}, "?????", nil, 0},
		{"thresholds below one count as one", 0, -1, []health.Kind{H, R, H}, "udu", []int{0, 1, 2}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker("a", tc.fail, tc.succ)
			if o := tr.Observation(); o.Verdict != health.VerdictUnknown || o.Cluster != "a" {
				t.Fatalf("initial %+v", o)
			}
			t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			var got strings.Builder
			var changes []int
			var since time.Time
			for i, k := range tc.kinds {
				at := t0.Add(time.Duration(i) * time.Second)
				o, changed := tr.Record(Result{Kind: k, Detail: "d", Latency: time.Second}, at)
				got.WriteByte(map[health.Verdict]byte{health.VerdictUnknown: '?', health.VerdictUp: 'u', health.VerdictDown: 'd'}[o.Verdict])
				if changed {
					changes = append(changes, i)
					since = at
				}
				if o.Last != k || !o.At.Equal(at) || o.LatencySeconds != 1 {
					t.Errorf("result %d: %+v", i, o)
				}
			}
			if got.String() != tc.verdicts {
				t.Errorf("verdicts %s, want %s", got.String(), tc.verdicts)
			}
			if len(changes) != len(tc.changedAt) || !slices.Equal(changes, tc.changedAt) {
				t.Errorf("changed at %v, want %v", changes, tc.changedAt)
			}
			o := tr.Observation()
			if len(changes) > 0 && !o.Since.Equal(since) {
				t.Errorf("Since %v, want %v", o.Since, since)
			}
			if len(changes) == 0 && !o.Since.Equal(t0) {
				t.Errorf("Since %v, want first result %v", o.Since, t0)
			}
			if o.ConsecutiveFailures != tc.finalFails {
				t.Errorf("ConsecutiveFailures %d, want %d", o.ConsecutiveFailures, tc.finalFails)
			}
		})
	}
}
