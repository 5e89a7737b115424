package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/peers"
)

// startExporter runs Debian's prometheus-elasticsearch-exporter against node and returns
// its listen address; a cleanup stops it.
func startExporter(t *testing.T, node string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus-elasticsearch-exporter")
	if err != nil {
		t.Fatal("prometheus-elasticsearch-exporter is missing: run scripts/install.sh (Debian package)")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	child.StartT(t, exec.Command(bin, "--es.uri="+node, "--es.all", "--es.indices_settings",
		"--es.timeout=5s", "--web.listen-address="+addr), child.Options{})
	return addr
}

// prom is a Debian prometheus scraping the exporter (job elasticsearch) and esdr (job
// esdr) every second and evaluating deploy/prometheus/cluster-rules.yml every second.
type prom struct {
	t   *testing.T
	url string
}

func startPrometheus(t *testing.T, exporter, esdrAddr string) *prom {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is missing: run scripts/install.sh (Debian package)")
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %s
scrape_configs:
  - job_name: elasticsearch
    static_configs: [{targets: [%q]}]
  - job_name: esdr
    static_configs: [{targets: [%q]}]
`, filepath.Join(root, "deploy", "prometheus", "cluster-rules.yml"), exporter, esdrAddr)
	file := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	child.StartT(t, exec.Command(bin, "--config.file="+file, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr), child.Options{})
	return &prom{t: t, url: "http://" + addr}
}

// get decodes the data of one Prometheus API answer into v; false when it does not
// answer yet.
func (p *prom) get(path string, v any) bool {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.url + path)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return false
	}
	var env struct {
		Status string
		Data   json.RawMessage
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Status != "success" {
		p.t.Fatalf("prometheus %s: %s", path, body)
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		p.t.Fatalf("prometheus %s: %v", path, err)
	}
	return true
}

// firing returns the labels of every firing alert named name.
func (p *prom) firing(name string) []map[string]string {
	var d struct {
		Alerts []struct {
			Labels map[string]string
			State  string
		}
	}
	var out []map[string]string
	if !p.get("/api/v1/alerts", &d) {
		return nil
	}
	for _, a := range d.Alerts {
		if a.Labels["alertname"] == name && a.State == "firing" {
			out = append(out, a.Labels)
		}
	}
	return out
}

// query returns the labels and value of every series of an instant query.
func (p *prom) query(q string) []map[string]string {
	var d struct {
		Result []struct {
			Metric map[string]string
			Value  []any
		}
	}
	if !p.get("/api/v1/query?query="+url.QueryEscape(q), &d) {
		return nil
	}
	out := make([]map[string]string, 0, len(d.Result))
	for _, r := range d.Result {
		m := r.Metric
		if len(r.Value) == 2 {
			m["__value__"], _ = r.Value[1].(string)
		}
		out = append(out, m)
	}
	return out
}

// waitFiring waits until the alert fires with the given labels among its own.
func (p *prom) waitFiring(e *esdr, name string, labels map[string]string, within time.Duration) {
	p.t.Helper()
	e.eventually(fmt.Sprintf("prometheus fires %s%v", name, labels), within, func() bool {
		for _, a := range p.firing(name) {
			if matches(a, labels) {
				return true
			}
		}
		return false
	})
}

func matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// floodStage makes every node of c past its flood-stage disk watermark by setting, not by
// filling a disk: the test bed's nodes start with the disk decider off, so it is turned on
// with watermarks no disk meets (1000 TB free), and the cluster's disk monitor, polled
// every 10 s (its minimum), write-blocks each index with a shard on them. An index is
// created first, while its shards can still be allocated. undo (also run when the test
// ends) puts everything back: the settings, the blocks the cluster put on, the index.
func floodStage(t *testing.T, c *testbed.Cluster) (undo func()) {
	t.Helper()
	es := esOf(t, c)
	do := func(method, path, body string) {
		t.Helper()
		st, b, err := es.Do(context.Background(), method, path, strings.NewReader(body))
		if err != nil || st/100 != 2 {
			t.Errorf("%s %s: %d %s %v", method, path, st, b, err)
		}
	}
	do(http.MethodPut, "/watermark-e2e", `{"settings":{"number_of_shards":1,"number_of_replicas":1}}`)
	do(http.MethodGet, "/_cluster/health/watermark-e2e?wait_for_status=green&timeout=60s", "")
	var once sync.Once
	undo = func() {
		once.Do(func() {
			// OpenSearch also blocks index creation cluster-wide while every node is past
			// the flood stage (cluster.blocks.create_index), and releases it only while
			// the disk decider is on: lifted here with the rest.
			do(http.MethodPut, "/_cluster/settings", `{"transient":{"cluster.routing.allocation.disk.*":null,"cluster.info.update.interval":null,"cluster.blocks.create_index":null},`+
				`"persistent":{"cluster.blocks.create_index":null}}`)
			do(http.MethodPut, "/_all/_settings?expand_wildcards=all", `{"index.blocks.read_only_allow_delete":null}`)
			do(http.MethodDelete, "/watermark-e2e", "")
		})
	}
	t.Cleanup(undo)
	do(http.MethodPut, "/_cluster/settings", `{"transient":{
		"cluster.routing.allocation.disk.threshold_enabled":true,
		"cluster.routing.allocation.disk.watermark.low":"1000tb",
		"cluster.routing.allocation.disk.watermark.high":"1000tb",
		"cluster.routing.allocation.disk.watermark.flood_stage":"1000tb",
		"cluster.info.update.interval":"10s"}}`)
	if t.Failed() {
		t.FailNow()
	}
	return undo
}
