package mirror

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/esdr/esdr/internal/epoch"
)

// BenchmarkWrapBulkWrite is mirror mode's write path for a _bulk of 100 index items with ids from 8
// writers, the cluster a canned answer, the journal in $TMPDIR (docs/benchmarks.md).
func BenchmarkWrapBulkWrite(b *testing.B) {
	j, _, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	eps := &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 3}}
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, eps, HandlerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var out bytes.Buffer
		out.WriteString(`{"took":5,"errors":false,"items":[`)
		n := 0
		for _, line := range bytes.Split(body, []byte("\n")) {
			if bytes.HasPrefix(line, []byte(`{"index"`)) {
				if n > 0 {
					out.WriteByte(',')
				}
				fmt.Fprintf(&out, `{"index":{"_index":"idx","_type":"_doc","_id":"%d","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":%d,"_primary_term":1,"status":201}}`, n, n)
				n++
			}
		}
		out.WriteString(`]}`)
		w.Header().Set(headerCluster, "east")
		w.Header().Set(headerEpoch, "3")
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(200)
		_, _ = w.Write(out.Bytes())
	})
	h := m.Wrap(next)
	var n atomic.Int64
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var body bytes.Buffer
			base := n.Add(100)
			for i := range int64(100) {
				fmt.Fprintf(&body, "{\"index\":{\"_index\":\"idx\",\"_id\":\"%d\"}}\n{\"field\":\"value value value value\",\"n\":%d,\"t\":\"2026-12-07T00:00:00Z\"}\n", base+i, i)
			}
			r := httptest.NewRequest("POST", "/_bulk", &body)
			r.Header.Set("Content-Type", "application/x-ndjson")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code, w.Body.String())
			}
		}
	})
}
