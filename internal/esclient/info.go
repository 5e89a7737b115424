package esclient

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Info is the answer of GET /, enough to tell which engine and version a cluster runs
// and whether two URLs reach the same cluster (ClusterUUID).
type Info struct {
	Name        string // node name
	ClusterName string
	ClusterUUID string
	Version     string // version.number
	// Distribution is "opensearch" or "elasticsearch" (Elasticsearch sends none).
	Distribution string
	Tagline      string
}

// Info asks the first reachable node who it is.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var doc infoDoc
	if err := c.getJSON(ctx, "/", &doc); err != nil {
		return nil, err
	}
	return doc.info(), nil
}

// InfoOf asks one given node who it is and which cluster it belongs to: answered by the
// node alone, without a master, so that the watch step can tell a URL that reaches
// another cluster (ClusterUUID) from a node of the configured one.
func (c *Client) InfoOf(ctx context.Context, node string) (*Info, error) {
	var doc infoDoc
	if err := c.getJSONOf(ctx, node, "/", &doc); err != nil {
		return nil, err
	}
	return doc.info(), nil
}

type infoDoc struct {
	Name        string `json:"name"`
	ClusterName string `json:"cluster_name"`
	ClusterUUID string `json:"cluster_uuid"`
	Version     struct {
		Number       string `json:"number"`
		Distribution string `json:"distribution"`
	} `json:"version"`
	Tagline string `json:"tagline"`
}

func (d infoDoc) info() *Info {
	dist := d.Version.Distribution
	if dist == "" {
		dist = "elasticsearch"
	}
	return &Info{Name: d.Name, ClusterName: d.ClusterName, ClusterUUID: d.ClusterUUID,
		Version: d.Version.Number, Distribution: dist, Tagline: d.Tagline}
}

// Node describes one member of the cluster as the answering node sees it.
type Node struct {
	ID          string
	Name        string
	HTTPAddress string // http.publish_address, e.g. 10.0.0.5:9200
	// Roles are sorted full role names; OpenSearch's "cluster_manager" is reported as
	// "master" so that callers need one word for both engines.
	Roles          []string
	MasterEligible bool
	ElectedMaster  bool
}

// NodesInfo lists the cluster's nodes (GET /_nodes/_all/http) and marks the elected
// master as seen by the same node (GET /_cat/master?local=true, which answers from that
// node's own view instead of waiting for a master). Without an elected master no node is
// marked; that is data, not an error.
func (c *Client) NodesInfo(ctx context.Context) ([]Node, error) {
	var doc struct {
		Nodes map[string]struct {
			Name  string   `json:"name"`
			Roles []string `json:"roles"`
			HTTP  struct {
				PublishAddress string `json:"publish_address"`
			} `json:"http"`
		} `json:"nodes"`
	}
	if err := c.getJSON(ctx, "/_nodes/_all/http", &doc); err != nil {
		return nil, err
	}
	var master []struct {
		ID string `json:"id"`
	}
	if err := c.getJSON(ctx, "/_cat/master?format=json&local=true", &master); err != nil {
		return nil, fmt.Errorf("esclient: elected master: %w", err)
	}
	elected := ""
	if len(master) == 1 && master[0].ID != "-" {
		elected = master[0].ID
	}
	out := make([]Node, 0, len(doc.Nodes))
	for id, n := range doc.Nodes {
		roles := normalizeRoles(n.Roles)
		out = append(out, Node{
			ID: id, Name: n.Name, HTTPAddress: n.HTTP.PublishAddress, Roles: roles,
			MasterEligible: slices.Contains(roles, "master"),
			ElectedMaster:  id == elected,
		})
	}
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// normalizeRoles maps cluster_manager to master, drops duplicates and sorts.
func normalizeRoles(in []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, r := range in {
		r = strings.ToLower(r)
		if r == "cluster_manager" {
			r = "master"
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}
