package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/esdr/esdr/internal/esclient"
)

// Executed is how many searches and index operations the cluster reached through es has
// executed on its users' indices, from its own index statistics: the proof that a cluster
// was, or was not, sent traffic, independent of what esdr says it did. Dot-named indices
// are left out: esdr's own canary search (one per node and probe) is not traffic.
func Executed(ctx context.Context, es *esclient.Client) (searches, indexed int64, err error) {
	status, body, err := es.Do(ctx, http.MethodGet, "/_stats/search,indexing?level=indices&expand_wildcards=all", nil)
	if err != nil {
		return 0, 0, fmt.Errorf("drill: index stats: %w", err)
	}
	if status != http.StatusOK {
		return 0, 0, fmt.Errorf("drill: index stats: HTTP %d", status)
	}
	var s struct {
		Indices map[string]struct {
			Total struct {
				Search struct {
					QueryTotal int64 `json:"query_total"`
				} `json:"search"`
				Indexing struct {
					IndexTotal int64 `json:"index_total"`
				} `json:"indexing"`
			} `json:"total"`
		} `json:"indices"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return 0, 0, fmt.Errorf("drill: index stats: %w", err)
	}
	for name, ix := range s.Indices {
		if strings.HasPrefix(name, ".") {
			continue
		}
		searches += ix.Total.Search.QueryTotal
		indexed += ix.Total.Indexing.IndexTotal
	}
	return searches, indexed, nil
}
