package watch

import (
	"testing"
	"time"
)

func TestClusterSize(t *testing.T) {
	t0 := time.Unix(1800000000, 0)
	type obs struct {
		n     int
		green bool
		after time.Duration // since t0
		want  int
	}
	cases := []struct {
		name  string
		steps []obs
	}{
		{"grows at once", []obs{{3, true, 0, 3}, {5, true, time.Second, 5}}},
		{"a node lost stays degraded", []obs{{3, true, 0, 3}, {2, false, time.Second, 3}, {2, true, time.Minute, 3}, {2, true, 5 * time.Minute, 3}}},
		{"green at the smaller size long enough becomes the size", []obs{{3, true, 0, 3}, {2, true, time.Second, 3},
			{2, true, time.Second + ShrinkAcceptedAfter, 2}, {3, true, time.Hour, 3}}},
		{"yellow restarts the wait", []obs{{3, true, 0, 3}, {2, true, time.Second, 3}, {2, false, 9 * time.Minute, 3},
			{2, true, 10 * time.Minute, 3}, {2, true, 15 * time.Minute, 3}, {2, true, 20 * time.Minute, 2}}},
		{"back to the full size resets", []obs{{3, true, 0, 3}, {2, true, time.Second, 3}, {3, true, 5 * time.Minute, 3},
			{2, true, 6 * time.Minute, 3}, {2, true, 6*time.Minute + ShrinkAcceptedAfter - time.Second, 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s clusterSize
			for i, o := range c.steps {
				if got := s.observe(o.n, o.green, t0.Add(o.after)); got != o.want {
					t.Fatalf("step %d (%d nodes, green %v, +%s): judged against %d, want %d", i, o.n, o.green, o.after, got, o.want)
				}
			}
		})
	}
}
