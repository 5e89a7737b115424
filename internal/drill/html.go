package drill

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"time"
)

// WriteHTML writes the report as one self-contained page: the text report and a plot of
// latency and failed requests over time, inline SVG, no script, nothing fetched.
func (r *Report) WriteHTML(w io.Writer) error {
	var text bytes.Buffer
	r.WriteText(&text)
	return htmlPage.Execute(w, map[string]any{
		"Title": fmt.Sprintf("esdr drill: %s, %s", r.Scenario, r.Started.Format("2006-01-02 15:04:05")),
		"Lost":  r.LostWrites,
		"Plot":  template.HTML(r.plot()), // built from numbers and escaped labels only
		"Text":  text.String(),
	})
}

var htmlPage = template.Must(template.New("drill").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem auto;max-width:1000px;color:#1d1f21;padding:0 1rem}
pre{background:#f5f5f4;padding:1rem;overflow-x:auto;font-size:12.5px}
svg{width:100%;height:auto;border:1px solid #ddd;background:#fff}
.ok{fill:#1e8e3e}.bad{fill:#c5221f}.mark{stroke:#555;stroke-dasharray:4 3}.axis{stroke:#999}
text{font:11px system-ui,sans-serif;fill:#333}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Each dot is one request through the endpoint: green answered 2xx, red failed (drawn at the top).
Below, failed requests per interval. Dashed lines are the drill's steps and esdr's decisions, numbered as in the timeline.</p>
{{.Plot}}
<h2>Report</h2>
<pre>{{.Text}}</pre>
</body></html>
`))

// plot is an SVG of every request's latency (log scale) over time, failures per bucket
// below, and the timeline's marks as numbered vertical lines.
func (r *Report) plot() string {
	const W, H, left, top, latH, errH, gap = 960.0, 380.0, 56.0, 16.0, 240.0, 70.0, 24.0
	plotW := W - left - 10
	end := r.Finished
	for _, s := range r.Samples {
		if e := s.Start.Add(s.Latency); e.After(end) {
			end = e
		}
	}
	span := math.Max(end.Sub(r.Started).Seconds(), 1)
	x := func(t time.Time) float64 { return left + t.Sub(r.Started).Seconds()/span*plotW }
	lo, hi := math.Log10(0.5), math.Log10(10000.0) // 0.5ms to 10s
	y := func(d time.Duration) float64 {
		v := math.Min(math.Max(math.Log10(math.Max(ms(d), 0.5)), lo), hi)
		return top + latH - (v-lo)/(hi-lo)*latH
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="latency and failed requests over time">`, W, H)
	for _, tick := range []float64{1, 10, 100, 1000, 10000} {
		ty := y(time.Duration(tick * float64(time.Millisecond)))
		fmt.Fprintf(&b, `<line class="axis" x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke-opacity=".3"/><text x="4" y="%.1f">%s</text>`,
			left, W-10, ty, ty, ty+4, map[float64]string{1: "1ms", 10: "10ms", 100: "100ms", 1000: "1s", 10000: "10s"}[tick])
	}
	// Draw at most one dot per pixel column and latency row, so a long drill stays small.
	seen := map[[3]int]bool{}
	buckets := make([]int, int(plotW/4)+1)
	maxFail := 1
	for _, s := range r.Samples {
		px, ok := x(s.Start), s.OK()
		py := y(s.Latency)
		if !ok {
			py = top + 3
			i := int((px - left) / 4)
			if i >= 0 && i < len(buckets) {
				buckets[i]++
				maxFail = max(maxFail, buckets[i])
			}
		}
		k := [3]int{int(px), int(py), map[bool]int{true: 1}[ok]}
		if seen[k] {
			continue
		}
		seen[k] = true
		fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="1.6"/>`, map[bool]string{true: "ok", false: "bad"}[ok], px, py)
	}
	base := top + latH + gap + errH
	fmt.Fprintf(&b, `<text x="4" y="%.1f">failed</text><text x="4" y="%.1f">%d</text>`, base, base-errH+10, maxFail)
	fmt.Fprintf(&b, `<line class="axis" x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/>`, left, W-10, base, base)
	for i, n := range buckets {
		if n > 0 {
			h := float64(n) / float64(maxFail) * errH
			fmt.Fprintf(&b, `<rect class="bad" x="%.1f" y="%.1f" width="3.5" height="%.1f"/>`, left+float64(i)*4, base-h, h)
		}
	}
	marks := append([]Mark(nil), r.Timeline...)
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].At.Before(marks[j].At) })
	for i, m := range marks {
		mx := x(m.At)
		fmt.Fprintf(&b, `<line class="mark" x1="%.1f" x2="%.1f" y1="%.0f" y2="%.1f"><title>%s</title></line>`,
			mx, mx, top, base, template.HTMLEscapeString(m.What))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%d</text>`, mx+2, top-4+float64(i%2)*10, i+1)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">+0s</text><text x="%.0f" y="%.0f" text-anchor="end">+%.1fs</text></svg>`,
		left, H-4, W-10, H-4, span)
	return b.String()
}
