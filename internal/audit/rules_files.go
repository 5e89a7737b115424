package audit

import (
	"fmt"
	"slices"
	"strings"
)

// CheckFiles loads the files (one per node of one cluster) and applies the file rules.
// A file that cannot be read is a finding; the others are still checked.
func CheckFiles(paths []string, env func(string) (string, bool)) []Finding {
	var out []Finding
	var files []*NodeFile
	for _, p := range paths {
		f, err := LoadFile(p, env)
		if err != nil {
			out = append(out, newFinding(FileUnreadable, p, err.Error()))
			continue
		}
		files = append(files, f)
	}
	return append(out, FileRules(files)...)
}

// FileRules applies every file rule to parsed files: per-file rules first, then the
// rules over the set, which is taken to be every node of one cluster (or, for a single
// file, the template all nodes share).
func FileRules(files []*NodeFile) []Finding {
	if len(files) == 0 {
		return nil
	}
	var out []Finding
	for _, rule := range []func([]*NodeFile) []Finding{
		rulePlaceholders, ruleUnknownKeys, ruleClusterName, ruleMasterCount, ruleSeedHosts,
		ruleInitialMasters, ruleAllInterfaces, ruleRoles, ruleAwareness,
	} {
		out = append(out, rule(files)...)
	}
	return out
}

// perFile runs check on each file and folds the lines it returns into one finding whose
// evidence names each file, so that three identical files make one finding, not three.
func perFile(code Code, files []*NodeFile, check func(*NodeFile) []string) []Finding {
	var ev, bare, subjects []string
	for _, f := range files {
		lines := check(f)
		for _, l := range lines {
			ev = append(ev, f.Path+": "+l)
		}
		if len(lines) > 0 {
			subjects = append(subjects, f.Path)
			bare = lines
		}
	}
	switch len(subjects) {
	case 0:
		return nil
	case 1: // the subject names the file already
		return []Finding{newFinding(code, subjects[0], bare...)}
	}
	return []Finding{newFinding(code, strings.Join(subjects, ", "), ev...)}
}

func subject(files []*NodeFile) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Path
	}
	return strings.Join(names, ", ")
}

func rulePlaceholders(files []*NodeFile) []Finding {
	return perFile(PlaceholderUnresolved, files, func(f *NodeFile) []string {
		if len(f.Unresolved) == 0 {
			return nil
		}
		return []string{"unset, no default: " + strings.Join(f.Unresolved, ", ")}
	})
}

func ruleUnknownKeys(files []*NodeFile) []Finding {
	return perFile(SettingUnknown, files, func(f *NodeFile) []string {
		var lines []string
		for _, k := range sortedKeys(f.Settings) {
			if to, ok := renamed[k]; ok {
				lines = append(lines, fmt.Sprintf("%s: replaced by %s", k, to))
			} else if s := suggest(k); s != "" {
				lines = append(lines, fmt.Sprintf("%s: unknown, did you mean %s?", k, s))
			}
		}
		return lines
	})
}

func ruleClusterName(files []*NodeFile) []Finding {
	seen := map[string][]string{}
	for _, f := range files {
		v, ok := f.Get("cluster.name")
		if !ok {
			v = "(not set)"
		}
		seen[v] = append(seen[v], f.Path)
	}
	if _, unset := seen["(not set)"]; unset && len(seen) == 1 {
		return []Finding{newFinding(ClusterNameDefault, subject(files), "cluster.name is not set in any file")}
	}
	if len(seen) < 2 {
		return nil
	}
	var ev []string
	for _, name := range sortedKeys(seen) {
		ev = append(ev, fmt.Sprintf("cluster.name %q in %s", name, strings.Join(seen[name], ", ")))
	}
	return []Finding{newFinding(ClusterNameMismatch, subject(files), ev...)}
}

func ruleAllInterfaces(files []*NodeFile) []Finding {
	return perFile(NetworkHostAllInterfaces, files, func(f *NodeFile) []string {
		var lines []string
		for _, k := range []string{"network.host", "network.bind_host", "http.host", "http.bind_host", "transport.host", "transport.bind_host"} {
			l, _ := f.List(k)
			for _, v := range l {
				if allInterfaces[v] {
					lines = append(lines, fmt.Sprintf("%s: %s", k, v))
				}
			}
		}
		return lines
	})
}

// ruleRoles notes master-eligible nodes that also hold data: advice on a small
// cluster, a warning past five nodes.
func ruleRoles(files []*NodeFile) []Finding {
	size := len(files)
	for _, f := range files {
		seeds, _ := f.seedHosts()
		_, initial := f.initialMasters()
		size = max(size, len(seeds), len(initial))
	}
	code := RolesCombined
	if size > 5 {
		code = MastersNotDedicated
	}
	return perFile(code, files, func(f *NodeFile) []string {
		if !f.masterEligible() || !f.holdsData() {
			return nil
		}
		return []string{fmt.Sprintf("roles [%s] on a cluster of about %d nodes", strings.Join(f.roles(), ", "), size)}
	})
}

// ruleAwareness looks for a zone-like node attribute with several values across the
// files that no file names in cluster.routing.allocation.awareness.attributes.
func ruleAwareness(files []*NodeFile) []Finding {
	values := map[string]map[string]bool{}
	aware := map[string]bool{}
	for _, f := range files {
		for k, s := range f.Settings {
			if attr, ok := strings.CutPrefix(k, "node.attr."); ok && zoneLike(attr) {
				if values[attr] == nil {
					values[attr] = map[string]bool{}
				}
				values[attr][s.String()] = true
			}
		}
		l, _ := f.List("cluster.routing.allocation.awareness.attributes")
		for _, a := range l {
			aware[a] = true
		}
	}
	var ev []string
	for _, attr := range sortedKeys(values) {
		if len(values[attr]) > 1 && !aware[attr] {
			ev = append(ev, fmt.Sprintf("node.attr.%s has values %s; awareness attributes: [%s]",
				attr, strings.Join(sortedKeys(values[attr]), ", "), strings.Join(sortedKeys(aware), ", ")))
		}
	}
	if len(ev) == 0 {
		return nil
	}
	return []Finding{newFinding(AwarenessMissing, subject(files), ev...)}
}

func zoneLike(attr string) bool {
	for _, w := range []string{"zone", "rack", "az", "datacenter", "dc", "region", "site"} {
		if strings.Contains(strings.ToLower(attr), w) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
