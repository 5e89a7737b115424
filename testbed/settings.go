package testbed

import (
	"fmt"
	"sort"
	"strings"
)

// reservedSettings are the settings nodeSettings derives from the Spec: Spec.Settings
// may not replace them, or the nodes would not form the cluster the Spec describes.
var reservedSettings = map[string]bool{
	"cluster.name": true, "node.name": true, "network.host": true, "http.port": true,
	"transport.port": true, "discovery.seed_hosts": true, "discovery.type": true,
	"cluster.initial_master_nodes": true, "cluster.initial_cluster_manager_nodes": true,
	"node.roles": true,
}

// checkSettings validates Spec.Settings: a key is a dotted setting name (no "=" and no
// white space) that the test bed does not set itself; a value is one line.
func checkSettings(settings map[string]string) error {
	for k, v := range settings {
		switch {
		case k == "" || strings.ContainsAny(k, "= \t\r\n"):
			return fmt.Errorf("%w: setting %q: want a setting name without '=' or spaces", ErrBadSpec, k)
		case reservedSettings[k]:
			return fmt.Errorf("%w: setting %q is set by the test bed from the spec", ErrBadSpec, k)
		case strings.ContainsAny(v, "\r\n"):
			return fmt.Errorf("%w: setting %q: value must be one line", ErrBadSpec, k)
		}
	}
	return nil
}

// userSettings are Spec.Settings as the launcher's key=value arguments, sorted by key so
// that every node (and every restart) gets the same command line.
func userSettings(settings map[string]string) []string {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+settings[k])
	}
	return out
}
