package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/esdr/esdr/internal/esclient"
)

// Executed is how many searches and index operations the cluster reached through es has
// executed, from its own node statistics: the proof that a cluster was, or was not, sent
// traffic, independent of what esdr says it did.
func Executed(ctx context.Context, es *esclient.Client) (searches, indexed int64, err error) {
	status, body, err := es.Do(ctx, http.MethodGet, "/_nodes/stats/indices/search,indexing", nil)
	if err != nil {
		return 0, 0, fmt.Errorf("drill: node stats: %w", err)
	}
	if status != http.StatusOK {
		return 0, 0, fmt.Errorf("drill: node stats: HTTP %d", status)
	}
	var s struct {
		Nodes map[string]struct {
			Indices struct {
				Search struct {
					QueryTotal int64 `json:"query_total"`
				} `json:"search"`
				Indexing struct {
					IndexTotal int64 `json:"index_total"`
				} `json:"indexing"`
			} `json:"indices"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return 0, 0, fmt.Errorf("drill: node stats: %w", err)
	}
	for _, n := range s.Nodes {
		searches += n.Indices.Search.QueryTotal
		indexed += n.Indices.Indexing.IndexTotal
	}
	return searches, indexed, nil
}
