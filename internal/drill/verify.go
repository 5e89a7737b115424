package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/esdr/esdr/internal/esclient"
)

// Missing returns the ids of docs that the cluster reached through es does not hold.
// It asks with _mget in batches, reading the real documents, not a count.
func Missing(ctx context.Context, es *esclient.Client, index string, ids []string) ([]string, error) {
	var missing []string
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(len(ids), start+500)]
		body, _ := json.Marshal(map[string]any{"ids": batch})
		status, resp, err := es.Do(ctx, http.MethodPost, "/"+index+"/_mget?_source=false&realtime=true", bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("drill: mget: %w", err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("drill: mget: HTTP %d: %s", status, resp)
		}
		var r struct {
			Docs []struct {
				ID    string          `json:"_id"`
				Found bool            `json:"found"`
				Error json.RawMessage `json:"error"`
			} `json:"docs"`
		}
		if err := json.Unmarshal(resp, &r); err != nil {
			return nil, fmt.Errorf("drill: mget: %w", err)
		}
		for _, d := range r.Docs {
			if len(d.Error) > 0 {
				// A shard that cannot answer (still recovering) says nothing about the doc.
				return nil, fmt.Errorf("drill: mget %s: %s", d.ID, d.Error)
			}
			if !d.Found {
				missing = append(missing, d.ID)
			}
		}
	}
	return missing, nil
}

// WaitIndex waits (bounded by ctx and timeout) until every primary shard of index is
// allocated, so that reads of it answer for the data rather than for a recovery.
func WaitIndex(ctx context.Context, es *esclient.Client, index string, timeout string) error {
	status, resp, err := es.Do(ctx, http.MethodGet, "/_cluster/health/"+index+"?wait_for_status=yellow&timeout="+timeout, nil)
	if err != nil {
		return fmt.Errorf("drill: wait for %s: %w", index, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("drill: wait for %s: HTTP %d: %s", index, status, resp)
	}
	return nil
}

// Prepare creates index on the cluster reached through es when it is missing, with one
// shard and replicas as given, so that searches in the load never meet a 404.
func Prepare(ctx context.Context, es *esclient.Client, index string, replicas int) error {
	status, _, err := es.Do(ctx, http.MethodHead, "/"+index, nil)
	if err != nil {
		return fmt.Errorf("drill: prepare %s: %w", index, err)
	}
	if status == http.StatusOK {
		return nil
	}
	body := fmt.Sprintf(`{"settings":{"number_of_shards":1,"number_of_replicas":%d}}`, replicas)
	status, resp, err := es.Do(ctx, http.MethodPut, "/"+index+"?wait_for_active_shards=1", bytes.NewReader([]byte(body)))
	if err != nil {
		return fmt.Errorf("drill: prepare %s: %w", index, err)
	}
	if status == http.StatusForbidden && bytes.Contains(resp, []byte("cluster_block_exception")) {
		return fmt.Errorf("%w: prepare %s: HTTP %d: %s", ErrReadOnly, index, status, resp)
	}
	if status != http.StatusOK && !bytes.Contains(resp, []byte("resource_already_exists")) {
		return fmt.Errorf("drill: prepare %s: HTTP %d: %s", index, status, resp)
	}
	return nil
}

// ErrReadOnly is Prepare on a cluster with a write block: the standby esdr fenced when
// traffic last left it, which stays read-only until esdr makes it active again.
var ErrReadOnly = errors.New("drill: the cluster is read-only")

// verify returns which ids the cluster of nodes lacks, or why it could not tell.
func (d *Drill) verify(ctx context.Context, nodes []string, ids []string) ([]string, string) {
	if len(nodes) == 0 {
		return nil, "not a configured cluster"
	}
	es, err := d.ES(nodes)
	if err == nil {
		err = WaitIndex(ctx, es, d.Index, "60s")
	}
	if err != nil {
		return nil, err.Error()
	}
	missing, err := Missing(ctx, es, d.Index, ids)
	if err != nil {
		return nil, err.Error()
	}
	return missing, ""
}

// prepare creates the drill index on the cluster of nodes.
func (d *Drill) prepare(ctx context.Context, nodes []string) error {
	es, err := d.ES(nodes)
	if err != nil {
		return err
	}
	return Prepare(ctx, es, d.Index, min(1, len(nodes)-1))
}
