package bootstrap

import (
	"encoding/json"
	"strings"
)

// statsPath asks for each shard copy's role and highest sequence number only, so that
// the answer stays small on clusters of many shards. Shard-level stats carry seq_no
// whatever metric is asked for; docs is the cheapest.
const statsPath = "/_stats/docs?level=shards&filter_path=indices.*.shards.*.routing.primary,indices.*.shards.*.seq_no.max_seq_no"

// parseOps sums, per index, max_seq_no + 1 over the primary copies of its shards: the
// number of write operations (index, delete, no-op) the index has applied. Indices whose
// names start with a dot (system and hidden ones: .kibana, .tasks, …) are left out; they
// are written by each cluster for itself.
func parseOps(body []byte) (map[string]int64, error) {
	var doc struct {
		Indices map[string]struct {
			Shards map[string][]struct {
				Routing struct {
					Primary bool `json:"primary"`
				} `json:"routing"`
				SeqNo struct {
					Max *int64 `json:"max_seq_no"`
				} `json:"seq_no"`
			} `json:"shards"`
		} `json:"indices"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for name, idx := range doc.Indices {
		if strings.HasPrefix(name, ".") {
			continue
		}
		var n int64
		for _, copies := range idx.Shards {
			for _, c := range copies {
				if c.Routing.Primary && c.SeqNo.Max != nil && *c.SeqNo.Max >= 0 {
					n += *c.SeqNo.Max + 1
				}
			}
		}
		out[name] = n
	}
	return out, nil
}
