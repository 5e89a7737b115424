package esclient

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// TestAuditCalls checks the audit's reads against answers shaped like the engines' own
// (Elasticsearch 7.10 and OpenSearch 2 send the same fields here).
func TestAuditCalls(t *testing.T) {
	srv := serve(t, map[string]http.HandlerFunc{
		"/_cat/indices": body(200, `[{"index":"logs","health":"yellow","status":"open","pri":"1","rep":"0","docs.count":"42"},
			{"index":"old","health":null,"status":"close","pri":"2","rep":"1","docs.count":null}]`),
		"/_alias":                body(200, `{"logs":{"aliases":{"current":{},"all":{"is_write_index":false}}},"old":{"aliases":{}}}`),
		"/_index_template":       body(200, `{"index_templates":[{"name":"logs-t","index_template":{"index_patterns":["logs-*"],"priority":1}}]}`),
		"/_template":             body(200, `{"legacy":{"order":0,"index_patterns":["x-*"],"settings":{},"mappings":{},"aliases":{}}}`),
		"/_ingest/pipeline":      body(404, `{}`),
		"/_mapping":              body(200, `{"logs":{"mappings":{"properties":{"m":{"type":"keyword"}}}}}`),
		"/_snapshot":             body(200, `{"backup":{"type":"fs","settings":{"location":"/x"}}}`),
		"/_cat/snapshots/backup": body(200, `[{"id":"s1","status":"SUCCESS","start_epoch":"1700000000","end_epoch":"1700000060"}]`),
		"/_nodes/stats/fs,jvm": body(200, `{"nodes":{"b":{"name":"n2","roles":["cluster_manager","data"],"fs":{"total":{"total_in_bytes":100,"available_in_bytes":30}},"jvm":{"mem":{"heap_used_percent":50}}},
			"a":{"name":"n1","roles":["master"],"fs":{"total":{"total_in_bytes":200,"available_in_bytes":150}},"jvm":{"mem":{"heap_used_percent":91}}}}}`),
		"/_cluster/settings": body(200, `{"persistent":{"cluster.routing.allocation.disk.watermark.low":"80%"},"transient":{},
			"defaults":{"cluster.routing.allocation.disk.watermark.low":"85%","cluster.routing.allocation.disk.watermark.high":"90%"}}`),
		"/_cluster/state/metadata": body(200, `{"metadata":{"cluster_coordination":{"term":3,"last_committed_config":["a","b","c"],
			"last_accepted_config":["a","b","c"],"voting_config_exclusions":[{"node_id":"d","node_name":"n4"}]}}}`),
	})
	c := newClient(t, []string{srv.URL}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	idx, err := c.CatIndices(ctx)
	want := []IndexStat{{"logs", "yellow", "open", 1, 0, 42}, {"old", "", "close", 2, 1, -1}}
	if err != nil || !reflect.DeepEqual(idx, want) {
		t.Errorf("CatIndices = %+v %v", idx, err)
	}
	al, err := c.Aliases(ctx)
	if err != nil || len(al["logs"]) != 2 || len(al["old"]) != 0 {
		t.Errorf("Aliases = %v %v", al, err)
	}
	it, err := c.IndexTemplates(ctx)
	if err != nil || string(it["logs-t"]) != `{"index_patterns":["logs-*"],"priority":1}` {
		t.Errorf("IndexTemplates = %s %v", it, err)
	}
	lt, err := c.LegacyTemplates(ctx)
	if err != nil || len(lt) != 1 || lt["legacy"] == nil {
		t.Errorf("LegacyTemplates = %s %v", lt, err)
	}
	pl, err := c.IngestPipelines(ctx)
	if err != nil || len(pl) != 0 {
		t.Errorf("IngestPipelines on 404 = %v %v", pl, err)
	}
	mp, err := c.Mappings(ctx)
	if err != nil || string(mp["logs"]) != `{"properties":{"m":{"type":"keyword"}}}` {
		t.Errorf("Mappings = %s %v", mp, err)
	}
	repos, err := c.SnapshotRepositories(ctx)
	if err != nil || repos["backup"] != "fs" {
		t.Errorf("SnapshotRepositories = %v %v", repos, err)
	}
	snaps, err := c.Snapshots(ctx, "backup")
	if err != nil || len(snaps) != 1 || snaps[0].Status != "SUCCESS" || !snaps[0].End.Equal(time.Unix(1700000060, 0)) {
		t.Errorf("Snapshots = %+v %v", snaps, err)
	}
	ns, err := c.NodesStats(ctx)
	wantNS := []NodeStats{{"n1", []string{"master"}, 200, 150, 91}, {"n2", []string{"data", "master"}, 100, 30, 50}}
	if err != nil || !reflect.DeepEqual(ns, wantNS) {
		t.Errorf("NodesStats = %+v %v", ns, err)
	}
	es, err := c.EffectiveSettings(ctx)
	if err != nil || es["cluster.routing.allocation.disk.watermark.low"] != "80%" || es["cluster.routing.allocation.disk.watermark.high"] != "90%" {
		t.Errorf("EffectiveSettings = %v %v", es, err)
	}
	v, err := c.Voting(ctx)
	if err != nil || len(v.LastCommitted) != 3 || !reflect.DeepEqual(v.Exclusions, []string{"n4 (d)"}) {
		t.Errorf("Voting = %+v %v", v, err)
	}
	// Other errors than 404 are errors.
	bad := serve(t, map[string]http.HandlerFunc{"/_alias": body(403, `{"error":{"type":"security_exception","reason":"no"},"status":403}`)})
	if _, err := newClient(t, []string{bad.URL}, Options{}).Aliases(ctx); err == nil {
		t.Error("403 accepted")
	}
}
