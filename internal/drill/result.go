package drill

import (
	"sort"
	"time"
)

// Summary is what a drill reports about the load around a fault.
type Summary struct {
	Requests, Reads, Writes   int
	FailedReads, FailedWrites int
	// AckedWrites were answered 2xx: each must be found afterwards on the cluster that
	// acknowledged it.
	AckedWrites int
	// RTO is the time from the fault to the first successful answer from a cluster other
	// than the one serving before it; zero when no such answer came.
	RTO time.Duration
	// Before and After are the clusters that served before the fault and the new one.
	Before, After string
	// P50, P99 are the latencies of successful requests.
	P50, P99 time.Duration
}

// Summarize computes a Summary of samples around a fault at faultAt.
func Summarize(samples []Sample, faultAt time.Time) Summary {
	sort.Slice(samples, func(i, j int) bool { return samples[i].Start.Before(samples[j].Start) })
	var s Summary
	var lat []time.Duration
	for _, x := range samples {
		s.Requests++
		read := x.Op == OpSearch
		if read {
			s.Reads++
		} else {
			s.Writes++
		}
		switch {
		case !x.OK() && read:
			s.FailedReads++
		case !x.OK():
			s.FailedWrites++
		case !read:
			s.AckedWrites++
		}
		if !x.OK() {
			continue
		}
		lat = append(lat, x.Latency)
	}
	// Before is who answered last before the fault: by completion, since a request that
	// started just before the fault may have been answered by the new cluster.
	var lastEnd time.Time
	for _, x := range samples {
		if end := x.Start.Add(x.Latency); x.OK() && x.Cluster != "" && end.Before(faultAt) && end.After(lastEnd) {
			s.Before, lastEnd = x.Cluster, end
		}
	}
	for _, x := range samples {
		end := x.Start.Add(x.Latency)
		if x.OK() && x.Cluster != "" && x.Cluster != s.Before && end.After(faultAt) {
			if rto := end.Sub(faultAt); s.RTO == 0 || rto < s.RTO {
				s.RTO, s.After = rto, x.Cluster
			}
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if n := len(lat); n > 0 {
		s.P50, s.P99 = lat[n/2], lat[min(n-1, n*99/100)]
	}
	return s
}

// Acked returns the acknowledged writes grouped by the cluster that acknowledged them.
func Acked(samples []Sample) map[string][]string {
	out := map[string][]string{}
	for _, x := range samples {
		if x.Op == OpIndex && x.OK() {
			out[x.Cluster] = append(out[x.Cluster], x.DocID)
		}
	}
	return out
}
