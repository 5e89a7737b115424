package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Report is what a drill found: its preconditions, each phase's numbers, what esdr's
// proxy retried, whether acknowledged writes survived, and a timeline.
type Report struct {
	Scenario Scenario  `json:"scenario"`
	Endpoint string    `json:"endpoint"`
	Index    string    `json:"index"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Checks   []Check   `json:"preconditions"`
	// Accepted are the audit's error findings the operator accepted (--accept-finding).
	Accepted []AcceptedFinding `json:"accepted_findings,omitempty"`
	Phases   []Phase           `json:"phases,omitempty"`
	// Total covers every request of the drill.
	Total *Numbers `json:"total,omitempty"`
	// Retries are the proxy's retries during the drill, by reason (esdr_proxy_retries_total).
	Retries  map[string]float64 `json:"proxy_retries,omitempty"`
	Verified []Verification     `json:"acked_writes,omitempty"`
	// LostWrites is the number of acknowledged writes not found where they were acknowledged.
	LostWrites int      `json:"acked_writes_lost"`
	Timeline   []Mark   `json:"timeline"`
	Problems   []string `json:"problems,omitempty"`
	Samples    []Sample `json:"-"`
}

// Phase is one disruption (a fault or a switchover) and the load around it.
type Phase struct {
	Name    string    `json:"name"`
	At      time.Time `json:"at"`
	Numbers *Numbers  `json:"numbers,omitempty"`
}

// Numbers is a Summary in units people read.
type Numbers struct {
	Requests     int     `json:"requests"`
	Reads        int     `json:"reads"`
	Writes       int     `json:"writes"`
	FailedReads  int     `json:"failed_reads"`
	FailedWrites int     `json:"failed_writes"`
	AckedWrites  int     `json:"acked_writes"`
	RTOSeconds   float64 `json:"rto_seconds"`
	Before       string  `json:"served_before,omitempty"`
	After        string  `json:"served_after,omitempty"`
	P50Millis    float64 `json:"p50_ms"`
	P99Millis    float64 `json:"p99_ms"`
}

// Verification is the check of one cluster's acknowledged writes.
type Verification struct {
	Cluster string   `json:"cluster"`
	Acked   int      `json:"acked"`
	Missing []string `json:"missing,omitempty"`
	Err     string   `json:"error,omitempty"`
}

// Mark is one line of the timeline.
type Mark struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
}

func numbers(s Summary) *Numbers {
	return &Numbers{Requests: s.Requests, Reads: s.Reads, Writes: s.Writes, FailedReads: s.FailedReads,
		FailedWrites: s.FailedWrites, AckedWrites: s.AckedWrites, RTOSeconds: s.RTO.Seconds(),
		Before: s.Before, After: s.After, P50Millis: ms(s.P50), P99Millis: ms(s.P99)}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// mark adds a drill step to the timeline and prints it; it returns its time.
func (r *Report) mark(w io.Writer, format string, a ...any) time.Time {
	now := time.Now()
	what := strings.TrimSpace(fmt.Sprintf(format, a...))
	r.Timeline = append(r.Timeline, Mark{At: now, What: what})
	fmt.Fprintf(w, "%8s  %s\n", since(r.Started, now), what)
	return now
}

// summarize computes each phase's numbers from the samples between it and the next.
func (r *Report) summarize() {
	if len(r.Samples) == 0 {
		return
	}
	r.Total = numbers(Summarize(append([]Sample(nil), r.Samples...), r.Started))
	r.Total.RTOSeconds, r.Total.Before, r.Total.After = 0, "", ""
	// A phase's window runs from halfway after the previous disruption to halfway to the
	// next, so that it holds answers from before its own disruption (who served) and after.
	mid := func(a, b time.Time) time.Time { return a.Add(b.Sub(a) / 2) }
	for i := range r.Phases {
		lo, hi := r.Started, time.Time{}
		if i > 0 {
			lo = mid(r.Phases[i-1].At, r.Phases[i].At)
		}
		if i+1 < len(r.Phases) {
			hi = mid(r.Phases[i].At, r.Phases[i+1].At)
		}
		var in []Sample
		for _, s := range r.Samples {
			if !s.Start.Before(lo) && (hi.IsZero() || s.Start.Before(hi)) {
				in = append(in, s)
			}
		}
		r.Phases[i].Numbers = numbers(Summarize(in, r.Phases[i].At))
	}
}

// tallyLost counts the acknowledged writes that were not found.
func (r *Report) tallyLost() {
	r.LostWrites = 0
	for _, v := range r.Verified {
		r.LostWrites += len(v.Missing)
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person at a terminal.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "esdr drill: %s through %s (index %s), %s, %s\n", r.Scenario, r.Endpoint, r.Index,
		r.Started.Format(time.RFC3339), r.Finished.Sub(r.Started).Round(time.Millisecond))
	fmt.Fprintln(w, "preconditions:")
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %-4s %s: %s\n", map[bool]string{true: "ok", false: "FAIL"}[c.OK], c.Name, c.Detail)
	}
	if len(r.Accepted) > 0 {
		fmt.Fprintln(w, "audit findings accepted (--accept-finding), not fixed:")
		for _, a := range r.Accepted {
			fmt.Fprintf(w, "  %s on %s: %s\n", a.Code, a.Subject, a.Title)
		}
	}
	for i, p := range r.Phases {
		fmt.Fprintf(w, "phase %d: %s at %s\n", i+1, p.Name, since(r.Started, p.At))
		if n := p.Numbers; n != nil {
			writeNumbers(w, n)
		}
	}
	if n := r.Total; n != nil {
		fmt.Fprintf(w, "whole drill: %d requests, %d failed reads, %d failed writes, p50 %.1fms p99 %.1fms\n",
			n.Requests, n.FailedReads, n.FailedWrites, n.P50Millis, n.P99Millis)
	}
	if r.Retries != nil {
		keys := make([]string, 0, len(r.Retries))
		for k := range r.Retries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %.0f", k, r.Retries[k])
		}
		fmt.Fprintf(w, "retried by esdr's proxy: %s\n", strings.Join(parts, ", "))
	}
	acked := 0
	for _, v := range r.Verified {
		acked += v.Acked
	}
	fmt.Fprintf(w, "acknowledged writes lost: %d of %d\n", r.LostWrites, acked)
	for _, v := range r.Verified {
		switch {
		case v.Err != "":
			fmt.Fprintf(w, "  %s: %d acknowledged, NOT VERIFIED: %s\n", v.Cluster, v.Acked, v.Err)
		case len(v.Missing) > 0:
			fmt.Fprintf(w, "  %s: %d acknowledged, %d missing: %v\n", v.Cluster, v.Acked, len(v.Missing), v.Missing[:min(10, len(v.Missing))])
		default:
			fmt.Fprintf(w, "  %s: %d acknowledged, all found\n", v.Cluster, v.Acked)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	fmt.Fprintln(w, "timeline:")
	for i, m := range r.Timeline {
		fmt.Fprintf(w, "  %2d %8s  %s\n", i+1, since(r.Started, m.At), m.What)
	}
}

func writeNumbers(w io.Writer, n *Numbers) {
	if n.After != "" {
		fmt.Fprintf(w, "  RTO %.3fs: %s served until the fault, %s answered first after it\n", n.RTOSeconds, n.Before, n.After)
	} else {
		fmt.Fprintf(w, "  RTO: no answer from another cluster than %q after the fault\n", n.Before)
	}
	fmt.Fprintf(w, "  %d requests: %d reads (%d failed), %d writes (%d failed, %d acknowledged); p50 %.1fms p99 %.1fms\n",
		n.Requests, n.Reads, n.FailedReads, n.Writes, n.FailedWrites, n.AckedWrites, n.P50Millis, n.P99Millis)
}

// proxyRetries reads esdr_proxy_retries_total by reason from esdr's /metrics.
func proxyRetries(ctx context.Context, rt http.RoundTripper, url string) (map[string]float64, error) {
	if url == "" {
		return nil, fmt.Errorf("drill: no metrics URL")
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("drill: metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("drill: metrics: %w", err)
	}
	out := map[string]float64{}
	const prefix = `esdr_proxy_retries_total{reason="`
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		reason, val, ok := strings.Cut(rest, `"} `)
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); ok && err == nil {
			out[reason] = v
		}
	}
	return out, nil
}
