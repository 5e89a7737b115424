package audit

import (
	"fmt"
	"slices"
	"strings"
)

// The file rules about how the nodes of a cluster find each other and elect a master:
// how many are master-eligible, the seed hosts and the initial master list.

// ruleMasterCount counts master-eligible nodes: one file per node when several files are
// given; with one file, the length of its initial master list, if any.
func ruleMasterCount(files []*NodeFile) []Finding {
	var n int
	var ev string
	switch {
	case len(files) == 1 && files[0].singleNode():
		n, ev = 1, "discovery.type: single-node"
	case len(files) == 1:
		key, l := files[0].initialMasters()
		if key == "" {
			return nil // one file and nothing says how many nodes share it
		}
		n, ev = len(l), fmt.Sprintf("%s lists %d: %s", key, len(l), strings.Join(l, ", "))
	default:
		var names []string
		for _, f := range files {
			if f.masterEligible() {
				names = append(names, f.name())
			}
		}
		n, ev = len(names), fmt.Sprintf("%d master-eligible of %d files: %s", len(names), len(files), strings.Join(names, ", "))
	}
	switch {
	case n < 3:
		return []Finding{newFinding(MastersTooFew, subject(files), ev)}
	case n%2 == 0:
		return []Finding{newFinding(MastersEven, subject(files), ev)}
	}
	return nil
}

func ruleSeedHosts(files []*NodeFile) []Finding {
	multi := len(files) > 1
	if _, l := files[0].initialMasters(); len(l) > 1 {
		multi = true
	}
	if !multi {
		return nil
	}
	missing := perFile(SeedHostsMissing, files, func(f *NodeFile) []string {
		if _, ok := f.seedHosts(); ok || f.singleNode() {
			return nil
		}
		return []string{"no discovery.seed_hosts (nor discovery.seed_providers)"}
	})
	if len(missing) > 0 || len(files) < 2 {
		return missing
	}
	var masters []*NodeFile
	for _, f := range files {
		if f.masterEligible() && len(f.identities()) > 0 {
			masters = append(masters, f)
		}
	}
	return perFile(SeedHostsIncomplete, files, func(f *NodeFile) []string {
		seeds, _ := f.seedHosts()
		if len(seeds) == 0 {
			return nil // seed providers: nothing to compare
		}
		var lacks []string
		for _, m := range masters {
			if !slices.ContainsFunc(seeds, func(s string) bool { return knownBy(s, []*NodeFile{m}) }) {
				lacks = append(lacks, m.name())
			}
		}
		if len(lacks) == 0 {
			return nil
		}
		return []string{fmt.Sprintf("discovery.seed_hosts [%s] does not name %s", strings.Join(seeds, ", "), strings.Join(lacks, ", "))}
	})
}

func ruleInitialMasters(files []*NodeFile) []Finding {
	out := perFile(InitialMastersSet, files, func(f *NodeFile) []string {
		if key, l := f.initialMasters(); key != "" {
			return []string{fmt.Sprintf("%s: [%s]", key, strings.Join(l, ", "))}
		}
		return nil
	})
	var masters []*NodeFile
	for _, f := range files {
		if f.masterEligible() {
			masters = append(masters, f)
		}
	}
	// Only with a full view: at least as many master-eligible files as names listed.
	return append(out, perFile(InitialMastersUnknown, files, func(f *NodeFile) []string {
		key, l := f.initialMasters()
		if key == "" || len(files) < 2 || len(masters) < len(l) {
			return nil
		}
		var unknown []string
		for _, e := range l {
			if !knownBy(e, masters) {
				unknown = append(unknown, e)
			}
		}
		if len(unknown) == 0 {
			return nil
		}
		return []string{fmt.Sprintf("%s names %s, which is no master-eligible node's name or address", key, strings.Join(unknown, ", "))}
	})...)
}

var allInterfaces = map[string]bool{"0.0.0.0": true, "0": true, "::": true, "[::]": true, "_0.0.0.0_": true}
