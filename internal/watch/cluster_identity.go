package watch

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
)

// clusterID is the cluster a node says it belongs to: its name, on every cluster health
// answer, and its UUID, from GET / (asked with the node's identity, once per
// identityTTL). The UUID is what tells two clusters apart: a standby is often built from
// the primary's template and named alike.
type clusterID struct{ Name, UUID string }

// clusterIDOf reads a node's GET / answer; "_na_" is the UUID of a node that has not yet
// joined a formed cluster, which identifies nothing.
func clusterIDOf(info *esclient.Info) clusterID {
	id := clusterID{Name: info.ClusterName, UUID: info.ClusterUUID}
	if id.UUID == "_na_" {
		id.UUID = ""
	}
	return id
}

func (a clusterID) known() bool { return a.Name != "" || a.UUID != "" }

// same compares by UUID when both know one, else by name.
func (a clusterID) same(b clusterID) bool {
	if a.UUID != "" && b.UUID != "" {
		return a.UUID == b.UUID
	}
	return a.Name == b.Name
}

func (a clusterID) String() string {
	if a.UUID == "" {
		return a.Name
	}
	return a.Name + " (uuid " + a.UUID + ")"
}

// sighting is one configured node URL answering as a cluster.
type sighting struct {
	URL string
	ID  clusterID
}

// identityJudgement is what the sightings of one probe say about which cluster the
// configured URLs reach.
type identityJudgement struct {
	Pin     clusterID            // the configured cluster's identity, once known
	Foreign map[string]clusterID // URLs answering as another cluster: they do not count
	Blind   string               // non-empty: esdr cannot tell it is looking at the cluster
}

// judgeIdentity decides which cluster the configured URLs reach, from the identity
// pinned so far (zero before the first sightings) and this probe's sightings (one per URL,
// the freshest). Before anything is pinned, the cluster is the one a strict majority of
// the configured URLs answer as (fewer answers, all alike, pin nothing yet); a list split
// without a majority is blind, since any choice could be the wrong cluster. Once pinned, a URL answering as another cluster is
// foreign: excluded, so that it can neither make the cluster look up nor down. When every
// configured URL is foreign, nothing is left to judge by: blind, naming both clusters.
func judgeIdentity(pin clusterID, seen []sighting, configured int) identityJudgement {
	j := identityJudgement{Pin: pin}
	if !pin.known() {
		groups := groupSightings(seen)
		switch {
		case len(groups) > 0 && len(groups[0]) > configured/2:
			j.Pin = groups[0][0].ID
		case len(groups) <= 1:
			// Too few answers to say which cluster the list is for: a lone answer might be
			// the typo while the cluster's own nodes are down. Judge without, until more.
			return j
		default:
			return identityJudgement{Blind: fmt.Sprintf("the configured nodes answer as %d different clusters (%s): "+
				"esdr cannot tell which one this cluster is; fix clusters[].nodes", len(groups), describeGroups(groups))}
		}
	}
	for _, s := range seen {
		if !s.ID.same(j.Pin) {
			if j.Foreign == nil {
				j.Foreign = map[string]clusterID{}
			}
			j.Foreign[s.URL] = s.ID
		}
	}
	if j.Pin.UUID == "" {
		// Pinned by name alone (a node without a formed cluster yet): the first UUID seen
		// under that name completes it.
		for _, s := range seen {
			if s.ID.UUID != "" && s.ID.Name == j.Pin.Name {
				j.Pin.UUID = s.ID.UUID
				break
			}
		}
	}
	if configured > 0 && len(j.Foreign) >= configured {
		j.Blind = fmt.Sprintf("every configured node answers as another cluster than %s, seen before at these URLs: %s; "+
			"fix clusters[].nodes (or restart esdr if the cluster was replaced on purpose)",
			j.Pin, describeGroups(groupSightings(seen)))
	}
	return j
}

// groupSightings groups the sightings by cluster, the largest group first (then by name,
// so that a tie reads the same every probe).
func groupSightings(seen []sighting) [][]sighting {
	var groups [][]sighting
	for _, s := range seen {
		i := slices.IndexFunc(groups, func(g []sighting) bool { return g[0].ID.same(s.ID) })
		if i < 0 {
			groups = append(groups, []sighting{s})
			continue
		}
		groups[i] = append(groups[i], s)
	}
	slices.SortStableFunc(groups, func(a, b []sighting) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a[0].ID.String(), b[0].ID.String())
	})
	return groups
}

func describeGroups(groups [][]sighting) string {
	var parts []string
	for _, g := range groups {
		var urls []string
		for _, s := range g {
			urls = append(urls, s.URL)
		}
		slices.Sort(urls)
		parts = append(parts, g[0].ID.String()+" at "+strings.Join(urls, ", "))
	}
	return strings.Join(parts, "; ")
}

// pinned is the identity a cluster check has settled on. Safe for concurrent use.
type pinned struct {
	mu sync.Mutex
	id clusterID
}

func (p *pinned) get() clusterID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.id
}

func (p *pinned) set(id clusterID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.id = id
}

// Claims records which cluster each configured cluster's check settled on. One is shared
// by the checks of one esdr: when two configured clusters reach one real cluster (the
// primary's whole list pointing at the standby), there is no standby, and neither check
// alone can see it. Safe for concurrent use; a nil *Claims records nothing.
type Claims struct {
	mu sync.Mutex
	by map[string]clusterID // configured cluster → the cluster its URLs reach
}

// claim records that cluster's URLs reach id, and returns the other configured clusters
// whose URLs reach the same one. Only a UUID can say so: two clusters may share a name.
func (c *Claims) claim(cluster string, id clusterID) []string {
	if c == nil || id.UUID == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]clusterID{}
	}
	c.by[cluster] = id
	var others []string
	for name, o := range c.by {
		if name != cluster && o.UUID == id.UUID {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	return others
}

// sharedResult is the blind result of a check whose URLs reach the cluster other
// configured clusters reach too.
func sharedResult(id clusterID, others []string) Result {
	return Result{Kind: health.KindBlind, Misaimed: true, Detail: fmt.Sprintf(
		"the nodes of this cluster and of %s reach one cluster, %s: one of them is not the cluster it is named for; fix clusters[].nodes",
		strings.Join(others, ", "), id)}
}
