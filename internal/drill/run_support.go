package drill

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"time"
)

// What Run leans on that is not the drill's steps: the event cursor, the endpoint
// check, shell commands for faults, and timing.

// lastSeq is the seq of the newest event, so that the report lists only the drill's.
func (d *Drill) lastSeq(ctx context.Context) uint64 {
	var seq uint64
	for range 1000 {
		evs, err := d.API.Events(ctx, seq, 1000)
		if err != nil || len(evs) == 0 {
			return seq
		}
		seq = evs[len(evs)-1].Seq
		if len(evs) < 1000 {
			return seq
		}
	}
	return seq
}

func (d *Drill) checkEndpoint(ctx context.Context) Check {
	c := Check{Name: "the endpoint answers"}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, d.Endpoint+"/", nil)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	resp.Body.Close()
	c.OK = resp.StatusCode == http.StatusOK
	c.Detail = fmt.Sprintf("GET %s/ → HTTP %d, served by %q", d.Endpoint, resp.StatusCode, resp.Header.Get("X-Esdr-Cluster"))
	return c
}

// runShell runs a fault or recovery command, bounded, with its output clipped.
func runShell(ctx context.Context, command string, timeout time.Duration) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := exec.CommandContext(cctx, "sh", "-c", command).CombinedOutput()
	if len(out) > 2000 {
		out = append(out[:2000], "…"...)
	}
	return string(out), err
}

func errText(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func since(start, t time.Time) string { return fmt.Sprintf("+%.3fs", t.Sub(start).Seconds()) }
