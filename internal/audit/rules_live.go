package audit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Thresholds of the live rules.
const (
	// DiskHeadroom is how many points of disk use below the low watermark a data node
	// should keep.
	DiskHeadroom = 10.0
	// HeapHighPercent is the heap use from which a node is reported.
	HeapHighPercent = 85
	// SnapshotMaxAge is the age past which the newest successful snapshot is stale.
	SnapshotMaxAge = 24 * time.Hour
	// maxListed bounds the names listed in one finding's evidence.
	maxListed = 20
)

// LiveRules applies every live rule to what a cluster said.
func LiveRules(f *LiveFacts) []Finding {
	var out []Finding
	for _, rule := range []func(*LiveFacts) []Finding{
		ruleLiveMasters, ruleVoting, ruleHealth, ruleReplicas, ruleDisk, ruleHeap, ruleSnapshots,
	} {
		out = append(out, rule(f)...)
	}
	return out
}

func ruleLiveMasters(f *LiveFacts) []Finding {
	if f.Nodes == nil {
		return nil
	}
	var masters []string
	elected := ""
	for _, n := range f.Nodes {
		if n.MasterEligible {
			masters = append(masters, n.Name)
		}
		if n.ElectedMaster {
			elected = n.Name
		}
	}
	ev := fmt.Sprintf("%d master-eligible of %s: %s", len(masters), plural(len(f.Nodes), "node"), strings.Join(masters, ", "))
	var out []Finding
	switch {
	case len(masters) < 3:
		out = append(out, newFinding(LiveMastersTooFew, f.Cluster, ev))
	case len(masters)%2 == 0:
		out = append(out, newFinding(LiveMastersEven, f.Cluster, ev))
	}
	if elected == "" {
		out = append(out, newFinding(NoElectedMaster, f.Cluster, "no node is the elected master, as the answering node sees it"))
	}
	return out
}

func ruleVoting(f *LiveFacts) []Finding {
	if f.Voting == nil || len(f.Voting.Exclusions) == 0 {
		return nil
	}
	return []Finding{newFinding(VotingExclusionsLeft, f.Cluster,
		"voting_config_exclusions: "+strings.Join(f.Voting.Exclusions, ", "),
		fmt.Sprintf("last committed voting configuration: %d node(s)", len(f.Voting.LastCommitted)))}
}

func ruleHealth(f *LiveFacts) []Finding {
	h := f.Health
	if h == nil {
		return nil
	}
	ev := fmt.Sprintf("status %s, %d nodes, %d unassigned shards, %.1f%% active", h.Status, h.NumberOfNodes, h.UnassignedShards, h.ActiveShardsPercent)
	var out []Finding
	switch h.Status {
	case "red":
		out = append(out, newFinding(HealthRed, f.Cluster, ev))
	case "yellow":
		out = append(out, newFinding(HealthYellow, f.Cluster, ev))
	}
	if h.UnassignedShards > 0 {
		out = append(out, newFinding(ShardsUnassigned, f.Cluster, fmt.Sprintf("%d unassigned shards", h.UnassignedShards)))
	}
	return out
}

// userIndex tells apart the indices clients use from system and hidden ones.
func userIndex(name string) bool { return name != "" && !strings.HasPrefix(name, ".") }

func ruleReplicas(f *LiveFacts) []Finding {
	var names []string
	for _, ix := range f.Indices {
		if userIndex(ix.Name) && ix.Status != "close" && ix.Replicas == 0 {
			names = append(names, ix.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return []Finding{newFinding(ReplicasZero, f.Cluster, "number_of_replicas 0: "+listed(names))}
}

// listed joins names, at most maxListed of them.
func listed(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

func ruleDisk(f *LiveFacts) []Finding {
	if f.Stats == nil || f.Settings == nil {
		return nil
	}
	if v, _ := f.Settings["cluster.routing.allocation.disk.threshold_enabled"].(string); v == "false" {
		return nil
	}
	low, high := f.Settings["cluster.routing.allocation.disk.watermark.low"], f.Settings["cluster.routing.allocation.disk.watermark.high"]
	var above, near []string
	for _, n := range f.Stats {
		if n.DiskTotal <= 0 || !holdsData(n.Roles) {
			continue
		}
		used := 100 * float64(n.DiskTotal-n.DiskAvailable) / float64(n.DiskTotal)
		lowPct := watermarkPercent(low, 85, n.DiskTotal)
		highPct := watermarkPercent(high, 90, n.DiskTotal)
		line := fmt.Sprintf("%s: %.1f%% used (low watermark %.1f%%, high %.1f%%)", n.Name, used, lowPct, highPct)
		switch {
		case used >= highPct:
			above = append(above, line)
		case used >= lowPct-DiskHeadroom:
			near = append(near, line)
		}
	}
	var out []Finding
	if len(above) > 0 {
		out = append(out, newFinding(DiskAboveWatermark, f.Cluster, above...))
	}
	if len(near) > 0 {
		out = append(out, newFinding(DiskNearWatermark, f.Cluster, near...))
	}
	return out
}

func holdsData(roles []string) bool {
	for _, r := range roles {
		if strings.HasPrefix(r, "data") {
			return true
		}
	}
	return false
}

// watermarkPercent reads a watermark setting as a percentage of used disk: "85%",
// a ratio "0.85", or an absolute free-space value "500mb" (turned into a percentage of
// total). Anything unreadable gives def.
func watermarkPercent(v any, def float64, total int64) float64 {
	s, _ := v.(string)
	s = strings.TrimSpace(strings.ToLower(s))
	if p, ok := strings.CutSuffix(s, "%"); ok {
		if f, err := strconv.ParseFloat(p, 64); err == nil {
			return f
		}
		return def
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f <= 1 {
		return 100 * f
	}
	if free, ok := parseBytes(s); ok && total > 0 {
		return math.Max(0, 100*(1-float64(free)/float64(total)))
	}
	return def
}

func parseBytes(s string) (int64, bool) {
	units := []struct {
		suffix string
		mult   float64
	}{{"pb", 1 << 50}, {"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"b", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			if err != nil {
				return 0, false
			}
			return int64(f * u.mult), true
		}
	}
	return 0, false
}

func ruleHeap(f *LiveFacts) []Finding {
	var ev []string
	for _, n := range f.Stats {
		if n.HeapUsedPercent >= HeapHighPercent {
			ev = append(ev, fmt.Sprintf("%s: heap %d%% used", n.Name, n.HeapUsedPercent))
		}
	}
	if len(ev) == 0 {
		return nil
	}
	return []Finding{newFinding(HeapHigh, f.Cluster, ev...)}
}

func ruleSnapshots(f *LiveFacts) []Finding {
	if f.Repos == nil {
		return nil
	}
	if len(f.Repos) == 0 {
		return []Finding{newFinding(SnapshotRepoMissing, f.Cluster, "GET _snapshot lists no repository")}
	}
	var newest time.Time
	where := ""
	for repo, snaps := range f.Snapshots {
		for _, s := range snaps {
			if s.Status == "SUCCESS" && s.End.After(newest) {
				newest, where = s.End, repo+"/"+s.ID
			}
		}
	}
	switch {
	case newest.IsZero():
		return []Finding{newFinding(SnapshotStale, f.Cluster,
			fmt.Sprintf("no successful snapshot in %s", strings.Join(sortedKeys(f.Repos), ", ")))}
	case f.Now.Sub(newest) > SnapshotMaxAge:
		return []Finding{newFinding(SnapshotStale, f.Cluster,
			fmt.Sprintf("newest successful snapshot %s ended %s ago (%s)", where, f.Now.Sub(newest).Round(time.Minute), newest.Format(time.RFC3339)))}
	}
	return nil
}
