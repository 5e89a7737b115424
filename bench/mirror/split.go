package main

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"
)

// The proxy's histograms whose sums and counts split a request's time between esdr and
// the node (docs/observability.md).
const (
	metricRequestSum   = "esdr_proxy_request_duration_seconds_sum"
	metricRequestCount = "esdr_proxy_request_duration_seconds_count"
	metricNodeSum      = "esdr_proxy_upstream_duration_seconds_sum"
	metricNodeCount    = "esdr_proxy_upstream_duration_seconds_count"
	metricFsyncSum     = "esdr_mirror_journal_fsync_seconds_sum"
	metricFsyncCount   = "esdr_mirror_journal_fsync_seconds_count"
)

// timeSplit is the mean time of the requests a load sent through esdr, as esdr's proxy
// measured it (from the request's arrival to its answer sent, journaling included), and
// the mean time of its attempts at the node (to the answer's head): what mirror mode
// adds shows in the first and not the second. With mirroring on, fsync is the mean time
// of the journal's group-commit fsyncs and fsyncs their number per write.
type timeSplit struct {
	request, node, fsync time.Duration
	fsyncs               float64
}

// splitMeter holds the histograms' totals before a load.
type splitMeter struct {
	admins []string
	before map[string]float64
}

// startSplit reads the totals of the esdr processes at admins.
func startSplit(ctx context.Context, client *http.Client, admins []string) (*splitMeter, error) {
	before, err := sumSeries(ctx, client, admins)
	if err != nil {
		return nil, err
	}
	return &splitMeter{admins: admins, before: before}, nil
}

// stop reads the totals again and returns the means over the requests in between.
func (s *splitMeter) stop(ctx context.Context, client *http.Client) (timeSplit, error) {
	after, err := sumSeries(ctx, client, s.admins)
	if err != nil {
		return timeSplit{}, err
	}
	mean := func(sum, count string) time.Duration {
		n := after[count] - s.before[count]
		if n <= 0 {
			return 0
		}
		return time.Duration((after[sum] - s.before[sum]) / n * float64(time.Second))
	}
	ts := timeSplit{request: mean(metricRequestSum, metricRequestCount), node: mean(metricNodeSum, metricNodeCount),
		fsync: mean(metricFsyncSum, metricFsyncCount)}
	if n := after[metricRequestCount] - s.before[metricRequestCount]; n > 0 {
		ts.fsyncs = (after[metricFsyncCount] - s.before[metricFsyncCount]) / n
	}
	return ts, nil
}

// sumSeries adds up, over the esdr processes at admins, every series of the split's
// metrics whatever its labels (one per cluster, status, ...).
func sumSeries(ctx context.Context, client *http.Client, admins []string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, u := range admins {
		if err := addSeries(ctx, client, u, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func addSeries(ctx context.Context, client *http.Client, adminURL string, out map[string]float64) error {
	return eachMetricLine(ctx, client, adminURL, func(line []byte) {
		sp := bytes.LastIndexByte(line, ' ')
		if sp < 0 || bytes.HasPrefix(line, []byte("#")) {
			return
		}
		name, _, _ := bytes.Cut(line[:sp], []byte("{"))
		switch n := string(name); n {
		case metricRequestSum, metricRequestCount, metricNodeSum, metricNodeCount, metricFsyncSum, metricFsyncCount:
			if v, err := strconv.ParseFloat(string(line[sp+1:]), 64); err == nil {
				out[n] += v
			}
		}
	})
}
