package audit

import (
	"encoding/json"
	"fmt"
	"strings"
)

// maxPerCode bounds the findings one parity rule emits; the rest are counted in one more.
const maxPerCode = 50

// ParityRules compares what the standby holds with what the primary holds. Only the
// primary's user objects are compared (names starting with "." are the engines' own).
func ParityRules(p, s *Meta) []Finding {
	if p.Info != nil && s.Info != nil && p.Info.ClusterUUID != "" && p.Info.ClusterUUID == s.Info.ClusterUUID {
		return []Finding{newFinding(ParitySameCluster, s.Cluster, "both answer with cluster uuid "+p.Info.ClusterUUID)}
	}
	var out []Finding
	for _, rule := range []func(p, s *Meta) []Finding{
		ruleEngine, ruleIndices, ruleAliases, ruleTemplates, rulePipelines, ruleMappings,
	} {
		out = append(out, rule(p, s)...)
	}
	return out
}

// capped keeps at most maxPerCode findings of each code, replacing the rest by a count.
func capped(fs []Finding) []Finding {
	if len(fs) <= maxPerCode {
		return fs
	}
	rest := fs[maxPerCode]
	rest.Subject = fmt.Sprintf("%d more", len(fs)-maxPerCode)
	rest.Evidence = []string{fmt.Sprintf("%d more like the above not listed", len(fs)-maxPerCode)}
	return append(fs[:maxPerCode:maxPerCode], rest)
}

func ruleEngine(p, s *Meta) []Finding {
	if p.Info == nil || s.Info == nil {
		return nil
	}
	ev := fmt.Sprintf("primary %s %s, standby %s %s", p.Info.Distribution, p.Info.Version, s.Info.Distribution, s.Info.Version)
	switch {
	case p.Info.Distribution != s.Info.Distribution || major(p.Info.Version) != major(s.Info.Version):
		return []Finding{newFinding(ParityEngineDiffers, s.Cluster, ev)}
	case p.Info.Version != s.Info.Version:
		return []Finding{newFinding(ParityVersionDiffers, s.Cluster, ev)}
	}
	return nil
}

func major(v string) string { return strings.SplitN(v, ".", 2)[0] }

func ruleIndices(p, s *Meta) []Finding {
	if p.Indices == nil || s.Indices == nil {
		return nil
	}
	standby := map[string]int64{}
	for _, ix := range s.Indices {
		standby[ix.Name] = ix.Docs
	}
	var missing, lag []Finding
	for _, ix := range p.Indices {
		if !userIndex(ix.Name) {
			continue
		}
		docs, ok := standby[ix.Name]
		switch {
		case !ok:
			missing = append(missing, newFinding(ParityIndexMissing, "index "+ix.Name,
				fmt.Sprintf("on the primary (%d docs), not on the standby", max(ix.Docs, 0))))
		case ix.Docs >= 0 && docs >= 0 && ix.Docs > docs:
			lag = append(lag, newFinding(ParityDocLag, "index "+ix.Name,
				fmt.Sprintf("primary %d docs, standby %d: %d behind", ix.Docs, docs, ix.Docs-docs)))
		}
	}
	return append(capped(missing), capped(lag)...)
}

func ruleAliases(p, s *Meta) []Finding {
	if p.Aliases == nil || s.Aliases == nil {
		return nil
	}
	have := map[string]bool{}
	for _, as := range s.Aliases {
		for _, a := range as {
			have[a] = true
		}
	}
	on := map[string][]string{}
	for idx, as := range p.Aliases {
		for _, a := range as {
			if userIndex(a) && !have[a] {
				on[a] = append(on[a], idx)
			}
		}
	}
	var out []Finding
	for _, a := range sortedKeys(on) {
		out = append(out, newFinding(ParityAliasMissing, "alias "+a, "on the primary for "+listed(on[a])+", not on the standby"))
	}
	return capped(out)
}

func ruleTemplates(p, s *Meta) []Finding {
	out := compareObjects("index template", p.Templates, s.Templates, ParityTemplateMissing, ParityTemplateDiffers)
	return append(out, compareObjects("legacy template", p.Legacy, s.Legacy, ParityTemplateMissing, ParityTemplateDiffers)...)
}

func rulePipelines(p, s *Meta) []Finding {
	return compareObjects("ingest pipeline", p.Pipelines, s.Pipelines, ParityPipelineMissing, ParityPipelineDiffers)
}

func ruleMappings(p, s *Meta) []Finding {
	if p.Mappings == nil || s.Mappings == nil {
		return nil
	}
	var out []Finding
	for _, idx := range sortedKeys(p.Mappings) {
		sm, ok := s.Mappings[idx]
		if !userIndex(idx) || !ok { // a missing index is reported as such
			continue
		}
		if d := firstDifference(p.Mappings[idx], sm); d != "" {
			out = append(out, newFinding(ParityMappingDiffers, "index "+idx, d))
		}
	}
	return capped(out)
}

// compareObjects reports the primary's named objects that the standby lacks or holds
// with another definition.
func compareObjects(kind string, p, s map[string]json.RawMessage, missing, differs Code) []Finding {
	if p == nil || s == nil {
		return nil
	}
	var out []Finding
	for _, name := range sortedKeys(p) {
		if !userIndex(name) {
			continue
		}
		sv, ok := s[name]
		switch {
		case !ok:
			out = append(out, newFinding(missing, kind+" "+name, kind+" "+name+" is on the primary, not on the standby"))
		default:
			if d := firstDifference(p[name], sv); d != "" {
				out = append(out, newFinding(differs, kind+" "+name, d))
			}
		}
	}
	return capped(out)
}

// firstDifference names the first path at which two JSON documents differ, or "" when
// they are equal once keys are sorted.
func firstDifference(a, b json.RawMessage) string {
	if canonical(a) == canonical(b) {
		return ""
	}
	var av, bv any
	_ = json.Unmarshal(a, &av)
	_ = json.Unmarshal(b, &bv)
	return diffPath("", av, bv)
}

func diffPath(path string, a, b any) string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		for _, k := range sortedKeys(am) {
			sub := strings.TrimPrefix(path+"."+k, ".")
			bvk, ok := bm[k]
			if !ok {
				return sub + ": on the primary only"
			}
			if d := diffPath(sub, am[k], bvk); d != "" {
				return d
			}
		}
		for _, k := range sortedKeys(bm) {
			if _, ok := am[k]; !ok {
				return strings.TrimPrefix(path+"."+k, ".") + ": on the standby only"
			}
		}
		return ""
	}
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	if string(ab) == string(bb) {
		return ""
	}
	if path == "" {
		path = "(whole document)"
	}
	return fmt.Sprintf("%s: primary %s, standby %s", path, clip(string(ab)), clip(string(bb)))
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
