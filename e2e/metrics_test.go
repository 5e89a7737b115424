package e2e

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metric returns the value of the sample whose name and labels match exactly, as
// written on /metrics (for example `esdr_failovers_total{reason="active-down"}`), and
// whether it was found.
func (e *esdr) metric(sample string) (float64, bool) {
	e.t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + e.addr + "/metrics")
	if err != nil {
		e.t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || line[:i] != sample {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("metrics: %q: %v", line, err)
		}
		return v, true
	}
	return 0, false
}
