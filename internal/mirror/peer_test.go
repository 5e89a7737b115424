package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
)

// TestReplicatePeer replays a journal of index, create, update, delete and _bulk records
// to a real one-node standby of each engine, kills the replicator midway, rewinds its
// checkpoint as a crash between the standby's acknowledgement and the checkpoint write
// would, and replays again: the standby must end with exactly the expected documents.
func TestReplicatePeer(t *testing.T) {
	for _, engine := range testbed.EnginesUnderTest() {
		t.Run(engine, func(t *testing.T) {
			tb := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "mirror-" + engine, Nodes: 1})
			c, err := esclient.New(tb.URLs(), esclient.Options{Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.CloseIdleConnections)
			replicatePeer(t, c)
			fencedPeer(t, c)
		})
	}
}

func replicatePeer(t *testing.T, c *esclient.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	want := map[string]string{} // id -> expected _source.n (or "n,tag" after an update)
	j, _ := openJournal(t, dir, Options{SegmentBytes: 16 << 10, MaxBytes: 1 << 20})
	add := func(rec Record) {
		t.Helper()
		rec.Epoch, rec.Cluster, rec.Time, rec.ContentType = 3, "primary", time.Now(), "application/json"
		if _, err := j.Append(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	add(Record{Method: "PUT", Path: "/mirrored", Body: []byte(`{"settings":{"number_of_shards":2,"number_of_replicas":0},` +
		`"mappings":{"properties":{"n":{"type":"long"},"tag":{"type":"keyword"}}}}`)})
	index := func(i int, query string) {
		add(Record{Method: "PUT", Path: fmt.Sprintf("/mirrored/_doc/d%d", i), Query: query, Body: fmt.Appendf(nil, `{"n":%d}`, i)})
		want[fmt.Sprintf("d%d", i)] = fmt.Sprint(i)
	}
	del := func(i int) {
		add(Record{Method: "DELETE", Path: fmt.Sprintf("/mirrored/_doc/d%d", i)})
		delete(want, fmt.Sprintf("d%d", i))
	}
	for i := range 250 {
		index(i, map[bool]string{true: "refresh=true&if_seq_no=0&if_primary_term=1"}[i%50 == 7])
	}
	for i := 10; i < 30; i++ {
		del(i)
	}
	add(Record{Method: "POST", Path: "/mirrored/_update/d5", Body: []byte(`{"doc":{"tag":"updated"}}`)})
	want["d5"] = "5,updated"
	add(Record{Method: "POST", Path: "/mirrored/_create/c1", Body: []byte(`{"n":-1}`)})
	want["c1"] = "-1"
	add(Record{Method: "PUT", Path: "/mirrored/_doc/pretty", Body: []byte("{\n  \"n\": 1000\n}\n")})
	want["pretty"] = "1000"
	var bulk strings.Builder
	for i := 300; i < 310; i++ {
		fmt.Fprintf(&bulk, "{\"index\":{\"_id\":\"d%d\"}}\n{\"n\":%d}\n", i, i)
		want[fmt.Sprintf("d%d", i)] = fmt.Sprint(i)
	}
	bulk.WriteString("{\"delete\":{\"_id\":\"d0\"}}\n")
	delete(want, "d0")
	add(Record{Method: "POST", Path: "/mirrored/_bulk", Body: []byte(bulk.String())})
	first := j.Stats().Durable // 285 records

	// Replicator 1 is stopped midway, as if esdr were killed.
	r1, err := NewReplicator(j, NewHTTPApplier(c), ReplicatorOptions{MaxBatch: 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := runUntil(t, r1, j, 100); err != nil {
		t.Fatal(err)
	}
	stoppedAt := j.Stats().Applied
	if stoppedAt >= first {
		t.Logf("replicator 1 caught up before it was stopped (%d of %d)", stoppedAt, first)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash after the standby acknowledged seq 1-100 but before the first checkpoint:
	// everything, index creation included, is applied a second time.
	if err := writeCheckpoint(dir, 0); err != nil {
		t.Fatal(err)
	}

	j2, rep := openJournal(t, dir, Options{SegmentBytes: 16 << 10, MaxBytes: 1 << 20})
	if rep.Applied != 0 || rep.LastSeq != first || rep.Truncated != nil {
		t.Fatalf("reopened journal: %+v", rep)
	}
	j = j2
	for i := 250; i < 260; i++ {
		index(i, "")
	}
	del(249)
	counted := &countingApplier{a: NewHTTPApplier(c)}
	r2, err := NewReplicator(j, counted, ReplicatorOptions{MaxBatch: 50})
	if err != nil {
		t.Fatal(err)
	}
	if err := runUntil(t, r2, j, j.Stats().Durable); err != nil {
		t.Fatal(err)
	}
	if s := r2.Stats(); s.LagOps != 0 || s.LagAge != 0 || s.Retries != 0 || s.Applied != j.Stats().Durable {
		t.Errorf("replicator 2 after catching up: %+v", s)
	}
	if counted.calls > 15 {
		t.Errorf("%d records applied in %d calls, want them batched into _bulk", j.Stats().Durable, counted.calls)
	}
	checkStandby(ctx, t, c, want)

	// A document the standby's mapping refuses stops replication at its seq.
	add(Record{Method: "PUT", Path: "/mirrored/_doc/bad", Body: []byte(`{"n":"not a number"}`)})
	bad := j.Stats().Durable
	r3, err := NewReplicator(j, NewHTTPApplier(c), ReplicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = runUntil(t, r3, j, bad)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), fmt.Sprintf("seq %d", bad)) ||
		!strings.Contains(err.Error(), "mapper_parsing_exception") {
		t.Errorf("Run with a mapping conflict = %v", err)
	}
	if j.Stats().Applied != bad-1 {
		t.Errorf("checkpoint %d after the refusal, want %d", j.Stats().Applied, bad-1)
	}

	// Two _bulk records replayed as one request (replay_join.go): the standby's refusal
	// of an item names the record it came from, and the items it took are there.
	joined := []Record{
		{Seq: 1001, Method: "POST", Path: "/mirrored/_bulk", ContentType: "application/x-ndjson",
			Body: []byte("{\"index\":{\"_id\":\"j1\"}}\n{\"n\":1}\n")},
		{Seq: 1002, Method: "POST", Path: "/mirrored/_bulk", ContentType: "application/x-ndjson",
			Body: []byte("{\"index\":{\"_id\":\"j2\"}}\n{\"n\":2}\n{\"index\":{\"_id\":\"j3\"}}\n{\"n\":\"not a number\"}\n")},
	}
	err = NewHTTPApplier(c).Apply(ctx, joined)
	var re *RefusedError
	if !errors.As(err, &re) || re.Seq != 1002 || !strings.Contains(re.Reason, "item 3 (index): mapper_parsing_exception") {
		t.Errorf("Apply of two joined _bulk records, the second's item refused = %v, want a refusal of seq 1002 naming item 3", err)
	}
	for _, id := range []string{"j1", "j2"} {
		if st, b, err := c.Do(ctx, http.MethodGet, "/mirrored/_doc/"+id, nil); err != nil || st != 200 {
			t.Errorf("%s after the joined _bulk: %d %s %v", id, st, b, err)
		}
	}
}

// countingApplier counts Apply calls to a real applier.
type countingApplier struct {
	a     Applier
	calls int
}

func (c *countingApplier) Apply(ctx context.Context, recs []Record) error {
	c.calls++
	return c.a.Apply(ctx, recs)
}

// checkStandby compares every document of the standby's index with want.
func checkStandby(ctx context.Context, t *testing.T, c *esclient.Client, want map[string]string) {
	t.Helper()
	if st, b, err := c.Do(ctx, http.MethodPost, "/mirrored/_refresh", nil); err != nil || st != 200 {
		t.Fatalf("refresh: %d %s %v", st, b, err)
	}
	st, b, err := c.Do(ctx, http.MethodPost, "/mirrored/_search", strings.NewReader(`{"size":1000,"track_total_hits":true}`))
	if err != nil || st != 200 {
		t.Fatalf("search: %d %s %v", st, b, err)
	}
	var res struct {
		Hits struct {
			Hits []struct {
				ID     string `json:"_id"`
				Source struct {
					N   int64  `json:"n"`
					Tag string `json:"tag"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range res.Hits.Hits {
		got[h.ID] = fmt.Sprint(h.Source.N)
		if h.Source.Tag != "" {
			got[h.ID] += "," + h.Source.Tag
		}
	}
	if len(got) != len(want) {
		t.Errorf("standby holds %d documents, want %d", len(got), len(want))
	}
	var diff []string
	for id, w := range want {
		if got[id] != w {
			diff = append(diff, fmt.Sprintf("%s: got %q want %q", id, got[id], w))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			diff = append(diff, id+": present, want absent")
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("standby differs in %d documents: %s", len(diff), strings.Join(diff[:min(len(diff), 10)], "; "))
	}
	for id, wantStatus := range map[string]int{"d1": 200, "d15": 404, "d0": 404, "d249": 404, "c1": 200, "d309": 200} {
		if st, b, err := c.Do(ctx, http.MethodGet, "/mirrored/_doc/"+id, nil); err != nil || st != wantStatus {
			t.Errorf("GET %s: %d %s %v, want %d", id, st, b, err, wantStatus)
		}
	}
}

// fencedPeer: a record the cluster refuses with esdr's fence (cluster.blocks.read_only),
// sent alone or in a _bulk, is retried and marked ErrFenced, so status can name esdr
// resync; an index's own write block is retried but is no fence.
func fencedPeer(t *testing.T, c *esclient.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := NewHTTPApplier(c)
	one := []Record{{Seq: 1, Method: "PUT", Path: "/fenced/_doc/1", ContentType: "application/json", Body: []byte(`{"n":1}`)}}
	bulk := []Record{{Seq: 2, Method: "POST", Path: "/fenced/_bulk", ContentType: "application/json", Body: []byte("{\"index\":{\"_id\":\"2\"}}\n{\"n\":2}\n")}}
	docs := []Record{{Seq: 3, Method: "PUT", Path: "/fenced/_doc/3", ContentType: "application/json", Body: []byte(`{"n":3}`)},
		{Seq: 4, Method: "PUT", Path: "/fenced/_doc/4", ContentType: "application/json", Body: []byte(`{"n":4}`)}}
	if err := a.Apply(ctx, one); err != nil {
		t.Fatal(err)
	}
	setting := func(k string, v any) {
		t.Helper()
		if err := c.PutClusterSettings(ctx, map[string]any{k: v}); err != nil {
			t.Fatal(err)
		}
	}
	setting("cluster.blocks.read_only", true)
	for _, recs := range [][]Record{one, bulk, docs} {
		if err := a.Apply(ctx, recs); !errors.Is(err, ErrFenced) || errors.Is(err, ErrRefused) {
			t.Errorf("Apply of %s to a fenced cluster = %v, want ErrFenced", recs[0].Path, err)
		}
	}
	setting("cluster.blocks.read_only", nil)
	status, body, err := c.Do(ctx, "PUT", "/fenced/_settings", strings.NewReader(`{"index.blocks.write":true}`))
	if err != nil || status != http.StatusOK {
		t.Fatalf("blocking the index's writes: %d %s %v", status, body, err)
	}
	for _, recs := range [][]Record{one, bulk, docs} {
		if err := a.Apply(ctx, recs); err == nil || errors.Is(err, ErrFenced) || errors.Is(err, ErrRefused) {
			t.Errorf("Apply of %s to an index with a write block = %v, want a retry that is no fence", recs[0].Path, err)
		}
	}
}
