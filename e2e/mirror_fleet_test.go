package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/poll"
)

// TestMirrorFleet runs mirror mode in a three-member fleet, each member journaling on
// its own disk:
//   - clients write the same documents through every member's proxy: once the journals
//     are replayed the standby holds each document as the primary does, source and
//     _version, whatever order the members replayed in;
//   - the standby refuses the replay for a while (read-only) so that every journal has a
//     tail, and a member is killed -9 with its tail: the others go on; once they caught
//     up, the primary is killed and the leader refuses the failover, naming the dead
//     member whose journal the standby still lacks;
//   - the member comes back, replays its tail, and the failover goes ahead: the standby
//     holds every write any client was told succeeded, and every member's proxy takes
//     writes to it.
func TestMirrorFleet(t *testing.T) {
	for _, engine := range []string{"opensearch2", "es7"} {
		t.Run(engine, func(t *testing.T) { mirrorFleet(t, engine) })
	}
}

func mirrorFleet(t *testing.T, engine string) {
	p := clusters(t, engine)
	freshMirrorIndex(t, p)
	f := startFleet(t, p, func([]string) string {
		return "mirror:\n  enabled: true\n  journal_dir: journal\n  drain_wait: 20s\n  max_lag_on_failover: 20\n"
	})
	lead := f.leader(detectBound)
	f.waitRouting("primary", 1, detectBound)
	victim := f.others(lead)[0]

	// The same documents through every member, and a _bulk of documents of its own each.
	shared := &sharedDocs{newest: map[string]sharedWrite{}}
	bulks := make([]*bulkLoad, len(f.members))
	load := func(members []int, until func()) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, i := range members {
			if bulks[i] == nil {
				bulks[i] = &bulkLoad{}
			}
			wg.Go(func() { shared.run(ctx, f.members[i].proxyURL, f.names[i]) })
			wg.Go(func() { bulks[i].run(ctx, t, f.members[i].proxyURL) })
		}
		until()
		cancel()
		wg.Wait()
	}
	load([]int{0, 1, 2}, func() { moreDocs(t, p.primary, 300) })
	for i := range f.members {
		waitPending(f.members[i], "standby", recoverBound)
	}
	if n := shared.check(t, p); n == 0 {
		t.Fatal("no shared document was written")
	}

	// A tail on every journal; the victim dies with its own.
	setReadOnly(t, p.standby, true)
	t.Cleanup(func() { setReadOnly(t, p.standby, false) })
	load([]int{0, 1, 2}, func() {
		// Its report in etcd is what the others go by, and it lags its journal by up
		// to a report interval: wait for the report.
		f.members[lead].eventually(f.names[victim]+" reporting it owes the standby over 20 writes", recoverBound, func() bool {
			st := f.members[lead].status()
			for _, r := range st.Mirror.Members {
				if r.Member == f.names[victim] && r.Owes["standby"] > 20 {
					return true
				}
			}
			return false
		})
		f.members[victim].Kill()
		moreDocs(t, p.primary, 100) // the others go on
	})
	setReadOnly(t, p.standby, false)
	for _, i := range f.others(victim) {
		waitPending(f.members[i], "standby", recoverBound)
	}
	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restartCluster(t, p.primary) })
	var last string
	poll.Eventually(t, "failover refused, naming "+f.names[victim], detectBound, func() bool {
		st := f.members[lead].status()
		d := st.LastDecision
		last = fmt.Sprintf("%s: %s (active %s epoch %d); mirror reports %+v", d.Code, d.Reason, st.State.Active, st.State.Epoch, st.Mirror.Members)
		return d.Code == "standby-lagging" && strings.Contains(d.Reason, f.names[victim]+" owes ")
	}, func() string { return "last decision " + last })
	t.Logf("refused: %s", last)
	if st := f.members[lead].status(); st.State.Active != "primary" || st.State.Epoch != 1 {
		t.Fatalf("failed over while %s's journal had a tail: %+v", f.names[victim], st.State)
	}
	// What a resync waits for is what every journal owes, not the leader's own.
	if st := f.members[lead].status(); st.Mirror.Pending["standby"] != 0 || st.Mirror.Owed["standby"] <= 20 {
		t.Errorf("the leader's mirror status: own pending %d, owed by the fleet %d; want 0 and the dead member's tail (over 20)",
			st.Mirror.Pending["standby"], st.Mirror.Owed["standby"])
	}
	if out, _ := f.members[lead].cli("status"); !strings.Contains(out, "member "+f.names[victim]+" owes:") {
		t.Errorf("esdr status does not show what %s owes:\n%s", f.names[victim], out)
	}
	if out, code := f.members[lead].cli("mirror", "forget", "--member", f.names[lead]); code != 1 || !strings.Contains(out, "is alive") {
		t.Errorf("esdr mirror forget of a live member: exit %d\n%s", code, out)
	}

	f.members[victim].StartT(t)
	f.members[lead].waitActive("standby", 2, recoverBound)
	f.waitRouting("standby", 2, detectBound)
	var acked []string
	for _, b := range bulks {
		acked = append(acked, allIDs(b.acked)...)
	}
	checkHolds(t, p.standby, mirrorIndex, "the standby", append(acked, shared.ids()...))
	shared.checkOn(t, p.standby)
	for _, e := range f.members { // each member's gate lets writes to the standby go
		putDoc(t, e.proxyURL, mirrorIndex, "after-failover", `{"n":1}`)
	}

	// A member whose host is gone for good is forgotten, with an event.
	f.members[victim].Kill()
	var out string
	poll.Eventually(t, "esdr mirror forget --member "+f.names[victim]+" once its session is gone", fleetTTL+detectBound, func() bool {
		var code int
		out, code = f.members[lead].cli("mirror", "forget", "--member", f.names[victim])
		return code == 0 && strings.Contains(out, f.names[victim]+" forgotten")
	}, func() string { return out })
	if out, _ = f.members[lead].cli("events"); !strings.Contains(out, "journal of esdr member "+f.names[victim]+" FORGOTTEN") {
		t.Errorf("no event of the forget:\n%s", out)
	}
	if st := f.members[lead].status(); st.Mirror == nil || len(st.Mirror.Members) != 2 {
		t.Errorf("mirror reports after the forget: %+v, want the two live members'", st.Mirror)
	}
}

// sharedWrite is an acknowledged write of a shared document: the version the active
// cluster gave it, and what was written.
type sharedWrite struct {
	version int64
	source  string
}

// sharedDocs are ten documents every member's clients overwrite (every third write an
// update); newest keeps, per document, the acknowledged write with the highest version.
type sharedDocs struct {
	mu     sync.Mutex
	n      int
	newest map[string]sharedWrite
}

func (s *sharedDocs) run(ctx context.Context, proxy, member string) {
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ctx.Err() == nil; i++ {
		id := fmt.Sprintf("shared-%d", i%10)
		s.mu.Lock()
		s.n++
		src := fmt.Sprintf(`{"by":%q,"n":%d}`, member, s.n)
		s.mu.Unlock()
		method, target, body := http.MethodPut, proxy+"/"+mirrorIndex+"/_doc/"+id, src
		if i%3 == 2 { // an update of every field: journaled as the whole document it made
			method, target, body = http.MethodPost, proxy+"/"+mirrorIndex+"/_update/"+id, `{"doc":`+src+`,"doc_as_upsert":true}`
		}
		req, _ := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			continue
		}
		var a struct {
			Version int64 `json:"_version"`
		}
		err = json.NewDecoder(res.Body).Decode(&a)
		res.Body.Close()
		if err != nil || res.StatusCode/100 != 2 {
			continue
		}
		s.mu.Lock()
		if a.Version > s.newest[id].version {
			s.newest[id] = sharedWrite{version: a.Version, source: src}
		}
		s.mu.Unlock()
	}
}

func (s *sharedDocs) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.newest {
		out = append(out, id)
	}
	return out
}

// checkOn checks that c holds each shared document at least as new as its newest
// acknowledged write, with that write's source when the version is the same.
func (s *sharedDocs) checkOn(t *testing.T, c *testbed.Cluster) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.newest {
		if v, src := docVersion(t, c, id); v < w.version || v == w.version && src != w.source {
			t.Errorf("%s: %s holds v%d %s, older than the acknowledged v%d %s", id, c.Name, v, src, w.version, w.source)
		}
	}
}

// check compares each shared document on the standby with the primary's, source and
// version, and with the newest acknowledged write; it returns how many it compared.
func (s *sharedDocs) check(t *testing.T, p pair) int {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.newest {
		pv, psrc := docVersion(t, p.primary, id)
		sv, ssrc := docVersion(t, p.standby, id)
		if pv != sv || psrc != ssrc {
			t.Errorf("%s: the standby holds v%d %s, the primary v%d %s", id, sv, ssrc, pv, psrc)
		}
		if pv < w.version || pv == w.version && psrc != w.source {
			t.Errorf("%s: the primary holds v%d %s, older than the acknowledged v%d %s", id, pv, psrc, w.version, w.source)
		}
	}
	return len(s.newest)
}

// docVersion reads one document of the mirrored index from c.
func docVersion(t *testing.T, c *testbed.Cluster, id string) (int64, string) {
	t.Helper()
	st, b, err := esOf(t, c).Do(context.Background(), http.MethodGet, "/"+mirrorIndex+"/_doc/"+id, nil)
	var d struct {
		Version int64           `json:"_version"`
		Source  json.RawMessage `json:"_source"`
	}
	if err != nil || st != 200 || json.Unmarshal(b, &d) != nil {
		t.Fatalf("GET %s on %s: %d %s %v", id, c.Name, st, b, err)
	}
	return d.Version, string(d.Source)
}
