package esclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxIndexList bounds the comma-joined names in one request's path, under the 4 KiB
// initial line Elasticsearch accepts by default (http.max_initial_line_length).
const maxIndexList = 3000

// CountsOf returns the number of documents a search finds in each of the named
// indices. A search, unlike index statistics (_cat/indices), counts top-level documents
// only (not nested ones) and makes a search-idle shard refresh before it answers, so the
// counts include every document indexed before the last refresh a search waits for. An
// index missing from the answer has no documents or is gone (ignore_unavailable).
func (c *Client) CountsOf(ctx context.Context, indices []string) (map[string]int64, error) {
	out := make(map[string]int64, len(indices))
	for start := 0; start < len(indices); {
		end, size := start, 0
		for end < len(indices) {
			n := len(url.PathEscape(indices[end])) + 3 // an escaped comma
			if end > start && size+n > maxIndexList {
				break
			}
			size += n
			end++
		}
		if err := c.countBatch(ctx, indices[start:end], out); err != nil {
			return nil, err
		}
		start = end
	}
	return out, nil
}

func (c *Client) countBatch(ctx context.Context, indices []string, out map[string]int64) error {
	names := make([]string, len(indices))
	for i, n := range indices {
		names[i] = url.PathEscape(n)
	}
	path := "/" + strings.Join(names, ",") + "/_search?ignore_unavailable=true&expand_wildcards=open"
	body := fmt.Sprintf(`{"size":0,"track_total_hits":true,"aggs":{"by_index":{"terms":{"field":"_index","size":%d}}}}`, len(indices))
	node, status, resp, err := c.do(ctx, http.MethodPost, path, []byte(body))
	if err != nil {
		return err
	}
	if err := checkStatus(node, http.MethodPost, stripQuery(path), status, resp); err != nil {
		return err
	}
	var r struct {
		Aggregations struct {
			ByIndex struct {
				Buckets []struct {
					Key   string `json:"key"`
					Count int64  `json:"doc_count"`
				} `json:"buckets"`
			} `json:"by_index"`
		} `json:"aggregations"`
	}
	if err := decodeAnswer(node, "POST /.../_search", resp, &r); err != nil {
		return err
	}
	for _, b := range r.Aggregations.ByIndex.Buckets {
		out[b.Key] = b.Count
	}
	return nil
}
