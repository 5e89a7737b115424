package mirror

import "time"

// syncBuckets are the upper bounds, in seconds, of the journal's fsync times that the
// metrics count: from a fast local SSD's 0.1 ms to a stalled disk's seconds.
var syncBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5}

// syncTimes counts the group-commit fsyncs by time: every mirrored write waits for one
// (and for the one running when it arrived), so on a slow or shared disk this is where
// mirror mode's write latency goes.
type syncTimes struct {
	counts [14]uint64 // per bucket of syncBuckets, and one past the last
	sum    float64    // seconds
	n      uint64
}

func (s *syncTimes) observe(d time.Duration) {
	secs := d.Seconds()
	i := 0
	for i < len(syncBuckets) && secs > syncBuckets[i] {
		i++
	}
	s.counts[i]++
	s.sum += secs
	s.n++
}

// SyncTimes are the journal's fsync times since Open, as a histogram: Buckets maps each
// upper bound (seconds) to the fsyncs that took at most that long.
type SyncTimes struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64
}

// SyncTimes returns the fsync times since Open.
func (j *Journal) SyncTimes() SyncTimes {
	j.mu.Lock()
	s := j.syncTimes
	j.mu.Unlock()
	out := SyncTimes{Count: s.n, Sum: s.sum, Buckets: make(map[float64]uint64, len(syncBuckets))}
	var cum uint64
	for i, le := range syncBuckets {
		cum += s.counts[i]
		out.Buckets[le] = cum
	}
	return out
}
