package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
)

// esdr is read as a black box through its admin API, decoded into the runner's own
// small structs: the fields the history and the checker need, nothing of esdr's code.

var adminHTTP = &http.Client{Timeout: 5 * time.Second}

// statusWire is the part of GET /v1/status the runner reads.
type statusWire struct {
	State struct {
		Active string `json:"active"`
		Epoch  uint64 `json:"epoch"`
	} `json:"state"`
	Plan *struct {
		Epoch  uint64 `json:"epoch"`
		Status string `json:"status"`
		Steps  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"steps"`
	} `json:"plan"`
	PendingFences []string `json:"pending_fences"`
	Fleet         *struct {
		Leading bool `json:"leading"`
	} `json:"fleet"`
}

func adminGet(ctx context.Context, addr, path string, out any) error {
	return adminDo(ctx, http.MethodGet, addr, path, out)
}

// adminPost sends an operator's command with an empty body.
func adminPost(ctx context.Context, addr, path string) error {
	var ignored map[string]any
	return adminDo(ctx, http.MethodPost, addr, path, &ignored)
}

func adminDo(ctx context.Context, method, addr, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+esdrproc.Token)
	resp, err := adminHTTP.Do(req)
	if err != nil {
		return fmt.Errorf("chaos: esdr %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("chaos: esdr %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("chaos: esdr %s: HTTP %d: %.300s", path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("chaos: esdr %s: %w", path, err)
	}
	return nil
}

// events returns every event esdr kept, oldest first, paging through /v1/events.
func events(ctx context.Context, addr string) ([]Event, error) {
	var all []Event
	after := uint64(0)
	for {
		var body struct {
			Events []Event `json:"events"`
		}
		if err := adminGet(ctx, addr, "/v1/events?limit=1000&after="+strconv.FormatUint(after, 10), &body); err != nil {
			return nil, err
		}
		all = append(all, body.Events...)
		if len(body.Events) < 1000 {
			return all, nil
		}
		after = body.Events[len(body.Events)-1].Seq
	}
}

// final waits, up to within, until esdr's last plan has settled and no fence is pending
// (the evidence that it finished what it started), then returns its status as it is: the
// checker judges a plan still running then as stuck.
func final(ctx context.Context, addr string, within time.Duration) Final {
	deadline := time.Now().Add(within)
	for {
		var st statusWire
		err := adminGet(ctx, addr, "/v1/status", &st)
		f := Final{}
		if err != nil {
			f.Err = err.Error()
		} else {
			f.Active, f.Epoch, f.PendingFences = st.State.Active, st.State.Epoch, st.PendingFences
			if st.Plan != nil {
				f.PlanEpoch, f.PlanStatus = st.Plan.Epoch, st.Plan.Status
				for _, s := range st.Plan.Steps {
					line := s.Name + ": " + s.Status
					if s.Error != "" {
						line += " (" + s.Error + ")"
					}
					f.PlanSteps = append(f.PlanSteps, line)
				}
			}
		}
		settled := err == nil && settledPlan[f.PlanStatus] && len(f.PendingFences) == 0
		if settled || time.Now().After(deadline) || ctx.Err() != nil {
			return f
		}
		sleep(ctx, 250*time.Millisecond)
	}
}
