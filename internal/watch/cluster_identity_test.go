package watch

import (
	"strings"
	"testing"
)

func TestJudgeIdentity(t *testing.T) {
	prod := clusterID{Name: "prod", UUID: "p"}
	twin := clusterID{Name: "prod", UUID: "t"} // a standby built from the same template
	dr := clusterID{Name: "dr", UUID: "s"}
	byName := clusterID{Name: "dr"} // from a cluster health answer: a name, no UUID
	see := func(pairs ...any) []sighting {
		var out []sighting
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, sighting{URL: pairs[i].(string), ID: pairs[i+1].(clusterID)})
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		pin         clusterID
		seen        []sighting
		configured  int
		wantPin     clusterID
		wantForeign []string
		blind       string
	}{
		{"nothing seen yet: nothing pinned, nothing blind", clusterID{}, nil, 3, clusterID{}, nil, ""},
		{"a single answering node of three pins nothing yet: it might be the typo", clusterID{}, see("a", prod), 3, clusterID{}, nil, ""},
		{"two answering nodes of three pin their cluster", clusterID{}, see("a", prod, "b", prod), 3, prod, nil, ""},
		{"the only configured node pins its cluster", clusterID{}, see("a", dr), 1, dr, nil, ""},
		{"a majority of the configured nodes outvotes a stray standby node", clusterID{}, see("a", prod, "b", prod, "c", dr), 3,
			prod, []string{"c"}, ""},
		{"a split without a majority of the configured nodes is blind, naming both", clusterID{}, see("a", prod, "c", dr), 3,
			clusterID{}, nil, "answer as 2 different clusters"},
		{"two clusters of one name are told apart by UUID", clusterID{}, see("a", prod, "b", twin), 2,
			clusterID{}, nil, "prod (uuid p) at a; prod (uuid t) at b"},
		{"once pinned, a node of another cluster is foreign", prod, see("a", prod, "b", dr), 2, prod, []string{"b"}, ""},
		{"once pinned, a health answer naming another cluster is foreign", prod, see("a", byName), 2, prod, []string{"a"}, ""},
		{"every configured node answering as another cluster is blind, naming both", prod, see("a", dr, "b", dr), 2,
			prod, []string{"a", "b"}, "another cluster than prod (uuid p), seen before at these URLs: dr (uuid s) at a, b"},
		{"a pin by name alone takes the first UUID seen under it", clusterID{Name: "prod"}, see("a", prod), 1, prod, nil, ""},
		{"a node that has not joined a cluster yet (no UUID) matches by name", prod, see("a", clusterID{Name: "prod"}), 1, prod, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := judgeIdentity(tc.pin, tc.seen, tc.configured)
			if j.Pin != tc.wantPin {
				t.Errorf("pin %v, want %v", j.Pin, tc.wantPin)
			}
			if len(j.Foreign) != len(tc.wantForeign) {
				t.Errorf("foreign %v, want %v", j.Foreign, tc.wantForeign)
			}
			for _, u := range tc.wantForeign {
				if _, ok := j.Foreign[u]; !ok {
					t.Errorf("%s not foreign: %v", u, j.Foreign)
				}
			}
			if (j.Blind == "") != (tc.blind == "") || !strings.Contains(j.Blind, tc.blind) {
				t.Errorf("blind %q, want %q", j.Blind, tc.blind)
			}
		})
	}
}
