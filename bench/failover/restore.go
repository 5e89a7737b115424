package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/esclient"
)

// heal brings the primary back: SIGCONT after a pause, a restart on its data after a kill.
func (b *bed) heal(ctx context.Context, f fault) error {
	start := time.Now()
	var err error
	if f == faultKill {
		err = b.primary.Start()
	} else {
		err = b.primary.Resume()
	}
	if err != nil {
		return err
	}
	if err := b.primary.WaitFormed(ctx, len(b.primary.Nodes)); err != nil {
		return err
	}
	// The block as the request's only setting: anything else is refused while it holds.
	if err := b.esP.PutClusterSettings(ctx, map[string]any{"cluster.blocks.read_only": nil}); err != nil {
		return fmt.Errorf("unfence primary: %w", err)
	}
	b.logf("  primary healed (%s) in %s", map[fault]string{faultKill: "restarted", faultPause: "resumed"}[f], time.Since(start).Round(time.Second))
	return nil
}

// waitGreen waits until every copy of the run's indices on the healed primary has
// started: _mget is refused by a shard still recovering.
func (b *bed) waitGreen(ctx context.Context, names ...string) error {
	path := "/_cluster/health/" + strings.Join(names, ",") + "?wait_for_status=green&timeout=60s"
	status, body, err := b.esP.Do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("wait for the run's indices: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("wait for the run's indices: HTTP %d: %.200s", status, body)
	}
	return nil
}

// dropIndices deletes a run's indices on both clusters, so that restarts stay quick.
func (b *bed) dropIndices(ctx context.Context, names ...string) error {
	for _, name := range names {
		for _, es := range []*esclient.Client{b.esP, b.esS} {
			status, body, err := es.Do(ctx, http.MethodDelete, "/"+name, nil)
			if err != nil {
				return fmt.Errorf("delete %s: %w", name, err)
			}
			if status != http.StatusOK && status != http.StatusNotFound {
				return fmt.Errorf("delete %s: HTTP %d: %.200s", name, status, body)
			}
		}
	}
	return nil
}

func values(m map[load]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}
