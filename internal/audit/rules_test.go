package audit

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func healthyFacts() *LiveFacts {
	return &LiveFacts{
		Cluster: "c", Now: now,
		Nodes: []esclient.Node{{Name: "n1", MasterEligible: true, ElectedMaster: true},
			{Name: "n2", MasterEligible: true}, {Name: "n3", MasterEligible: true}, {Name: "n4"}},
		Health:   &esclient.Health{Status: "green", NumberOfNodes: 4},
		Indices:  []esclient.IndexStat{{Name: "a", Status: "open", Replicas: 1}, {Name: ".sys", Status: "open"}, {Name: "closed", Status: "close"}},
		Stats:    []esclient.NodeStats{{Name: "n1", Roles: []string{"data", "master"}, DiskTotal: 100, DiskAvailable: 60, HeapUsedPercent: 40}},
		Settings: map[string]any{"cluster.routing.allocation.disk.watermark.low": "85%", "cluster.routing.allocation.disk.watermark.high": "90%"},
		Voting:   &esclient.VotingConfig{LastCommitted: []string{"a", "b", "c"}},
		Repos:    map[string]string{"s3": "s3"},
		Snapshots: map[string][]esclient.Snapshot{"s3": {{ID: "old", Status: "SUCCESS", End: now.Add(-48 * time.Hour)},
			{ID: "new", Status: "SUCCESS", End: now.Add(-time.Hour)}, {ID: "bad", Status: "FAILED", End: now}}},
	}
}

func TestLiveRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *LiveFacts)
		want   []Code
	}{
		{"healthy", func(*LiveFacts) {}, []Code{}},
		{"two masters, none elected", func(f *LiveFacts) { f.Nodes = f.Nodes[1:3] }, []Code{LiveMastersTooFew, NoElectedMaster}},
		{"four masters", func(f *LiveFacts) { f.Nodes[3].MasterEligible = true }, []Code{LiveMastersEven}},
		{"exclusions", func(f *LiveFacts) { f.Voting.Exclusions = []string{"n9 (x)"} }, []Code{VotingExclusionsLeft}},
		{"red", func(f *LiveFacts) { f.Health.Status, f.Health.UnassignedShards = "red", 2 }, []Code{HealthRed, ShardsUnassigned}},
		{"yellow", func(f *LiveFacts) { f.Health.Status, f.Health.UnassignedShards = "yellow", 1 }, []Code{HealthYellow, ShardsUnassigned}},
		{"zero replicas", func(f *LiveFacts) { f.Indices[0].Replicas = 0 }, []Code{ReplicasZero}},
		{"disk near", func(f *LiveFacts) { f.Stats[0].DiskAvailable = 24 }, []Code{DiskNearWatermark}},
		{"disk above", func(f *LiveFacts) { f.Stats[0].DiskAvailable = 5 }, []Code{DiskAboveWatermark}},
		{"disk absolute watermark", func(f *LiveFacts) {
			f.Settings["cluster.routing.allocation.disk.watermark.high"] = "70b"
		}, []Code{DiskAboveWatermark}},
		{"disk ratio watermark", func(f *LiveFacts) { f.Settings["cluster.routing.allocation.disk.watermark.low"] = "0.45" }, []Code{DiskNearWatermark}},
		{"disk thresholds off", func(f *LiveFacts) {
			f.Stats[0].DiskAvailable = 5
			f.Settings["cluster.routing.allocation.disk.threshold_enabled"] = "false"
		}, []Code{}},
		{"heap", func(f *LiveFacts) { f.Stats[0].HeapUsedPercent = 90 }, []Code{HeapHigh}},
		{"no repo", func(f *LiveFacts) { f.Repos, f.Snapshots = map[string]string{}, nil }, []Code{SnapshotRepoMissing}},
		{"stale", func(f *LiveFacts) { f.Snapshots["s3"] = f.Snapshots["s3"][:1] }, []Code{SnapshotStale}},
		{"only failures", func(f *LiveFacts) { f.Snapshots["s3"] = f.Snapshots["s3"][2:] }, []Code{SnapshotStale}},
		{"nothing read", func(f *LiveFacts) { *f = LiveFacts{Cluster: "c"} }, []Code{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyFacts()
			tc.change(f)
			got := LiveRules(f)
			if c := codes(got); !reflect.DeepEqual(c, tc.want) {
				t.Errorf("codes %v, want %v\n%s", c, tc.want, dump(got))
			}
		})
	}
}

func meta(name string) *Meta {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	return &Meta{
		Cluster:   name,
		Info:      &esclient.Info{ClusterUUID: name, Distribution: "opensearch", Version: "2.19.1"},
		Indices:   []esclient.IndexStat{{Name: "orders", Docs: 10}, {Name: ".kibana", Docs: 1}},
		Aliases:   map[string][]string{"orders": {"orders-current"}},
		Templates: map[string]json.RawMessage{"t": raw(`{"index_patterns":["x"],"priority":1}`)},
		Legacy:    map[string]json.RawMessage{},
		Pipelines: map[string]json.RawMessage{"p": raw(`{"processors":[]}`)},
		Mappings:  map[string]json.RawMessage{"orders": raw(`{"properties":{"sku":{"type":"keyword"}}}`)},
	}
}

func TestParityRules(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	for _, tc := range []struct {
		name   string
		change func(p, s *Meta)
		want   []Code
	}{
		{"identical", func(p, s *Meta) {}, []Code{}},
		{"same cluster", func(p, s *Meta) { s.Info.ClusterUUID = p.Info.ClusterUUID; s.Indices = nil }, []Code{ParitySameCluster}},
		{"engine", func(p, s *Meta) { s.Info.Distribution, s.Info.Version = "elasticsearch", "7.10.2" }, []Code{ParityEngineDiffers}},
		{"minor", func(p, s *Meta) { s.Info.Version = "2.11.0" }, []Code{ParityVersionDiffers}},
		{"missing everything", func(p, s *Meta) {
			s.Indices, s.Aliases, s.Templates, s.Pipelines, s.Mappings = nil, map[string][]string{}, map[string]json.RawMessage{}, map[string]json.RawMessage{}, nil
			s.Indices = []esclient.IndexStat{}
		}, []Code{ParityAliasMissing, ParityIndexMissing, ParityPipelineMissing, ParityTemplateMissing}},
		{"differs", func(p, s *Meta) {
			s.Indices[0].Docs = 7
			s.Templates["t"] = raw(`{"priority":2,"index_patterns":["x"]}`)
			s.Pipelines["p"] = raw(`{"processors":[{"set":{}}]}`)
			s.Mappings["orders"] = raw(`{"properties":{"sku":{"type":"text"}}}`)
		}, []Code{ParityDocLag, ParityMappingDiffers, ParityPipelineDiffers, ParityTemplateDiffers}},
		{"key order is no difference", func(p, s *Meta) { s.Templates["t"] = raw(`{"priority":1,"index_patterns":["x"]}`) }, []Code{}},
		{"standby ahead is no lag", func(p, s *Meta) { s.Indices[0].Docs = 11 }, []Code{}},
		{"unread side skipped", func(p, s *Meta) { s.Templates, s.Indices = nil, nil }, []Code{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, s := meta("p"), meta("s")
			tc.change(p, s)
			got := ParityRules(p, s)
			if c := codes(got); !reflect.DeepEqual(c, tc.want) {
				t.Errorf("codes %v, want %v\n%s", c, tc.want, dump(got))
			}
		})
	}
	p, s := meta("p"), meta("s")
	s.Mappings["orders"] = raw(`{"properties":{"sku":{"type":"text"}}}`)
	if got := ParityRules(p, s); len(got) != 1 || got[0].Evidence[0] != `properties.sku.type: primary "keyword", standby "text"` {
		t.Errorf("mapping evidence: %s", dump(got))
	}
}

func TestCapped(t *testing.T) {
	p, s := meta("p"), meta("s")
	s.Indices = []esclient.IndexStat{}
	for i := range 60 {
		p.Indices = append(p.Indices, esclient.IndexStat{Name: strings.Repeat("x", i+1)})
	}
	n := 0
	for _, f := range ParityRules(p, s) {
		if f.Code == ParityIndexMissing {
			n++
		}
	}
	if n != maxPerCode+1 {
		t.Errorf("%d index findings, want %d", n, maxPerCode+1)
	}
}

func TestReportFormats(t *testing.T) {
	r := &Report{Reached: true, Checked: []string{"file a.yml"}}
	r.Add(newFinding(RolesCombined, "a.yml", "roles [master, data]"), newFinding(MastersTooFew, "a.yml", "1"),
		newFinding(ParityDocLag, "index x", "3 behind"))
	r.Sort()
	if got := r.Codes(); !reflect.DeepEqual(got, []Code{MastersTooFew, ParityDocLag, RolesCombined}) {
		t.Errorf("sorted %v", got)
	}
	if r.AtLeast(Warning) != 2 || r.AtLeast(Error) != 1 || r.AtLeast(Info) != 3 {
		t.Errorf("AtLeast wrong")
	}
	var text strings.Builder
	_ = r.WriteText(&text)
	for _, want := range []string{"1 error, 1 warning, 1 info", "ERROR (1)\n  files\n    masters-too-few:", "fix:  "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var js strings.Builder
	_ = r.WriteJSON(&js)
	if !strings.Contains(js.String(), `"severity": "error"`) || !strings.Contains(js.String(), `"error": 1`) {
		t.Errorf("json:\n%s", js.String())
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("fatal accepted")
	}
}
