package drill

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	samples := []Sample{
		{Op: OpSearch, Start: t0, Latency: 2 * ms, Status: 200, Cluster: "primary"},
		{Op: OpIndex, Start: t0.Add(10 * ms), Latency: 3 * ms, Status: 201, Cluster: "primary", DocID: "a"},
		{Op: OpIndex, Start: t0.Add(100 * ms), Latency: 300 * ms, Status: 502, Err: "HTTP 502", DocID: "b"},
		{Op: OpSearch, Start: t0.Add(110 * ms), Latency: 400 * ms, Status: 200, Cluster: "standby"},
		{Op: OpSearch, Start: t0.Add(45 * ms), Latency: 500 * ms, Status: 200, Cluster: "standby"},
		{Op: OpIndex, Start: t0.Add(600 * ms), Latency: 3 * ms, Status: 201, Cluster: "standby", DocID: "c"},
		{Op: OpSearch, Start: t0.Add(620 * ms), Err: "connection refused"},
	}
	s := Summarize(samples, t0.Add(50*ms))
	if s.Requests != 7 || s.Reads != 4 || s.Writes != 3 || s.FailedReads != 1 || s.FailedWrites != 1 || s.AckedWrites != 2 {
		t.Fatalf("counts %+v", s)
	}
	if s.Before != "primary" || s.After != "standby" || s.RTO != 460*ms {
		t.Fatalf("rto %+v", s)
	}
	acked := Acked(samples)
	if len(acked["primary"]) != 1 || acked["primary"][0] != "a" || len(acked["standby"]) != 1 || acked["standby"][0] != "c" {
		t.Fatalf("acked %v", acked)
	}
}
