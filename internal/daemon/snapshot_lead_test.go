package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/state"
)

// intentStore records the intents put, or refuses them as a deposed leader's store does.
type intentStore struct {
	refuse error
	puts   []string
}

func (s *intentStore) Put(_ context.Context, bucket, key string, val []byte) error {
	if s.refuse != nil {
		return s.refuse
	}
	var it struct {
		Epoch  uint64 `json:"epoch"`
		Action string `json:"action"`
	}
	if err := json.Unmarshal(val, &it); err != nil {
		return err
	}
	s.puts = append(s.puts, bucket+"/"+key+": "+it.Action)
	return nil
}

// TestSnapshotSyncAnnouncesEachChangeUnderTheLeadership: a change is announced as an
// intent in the term's store; outside a term, or once the store refuses (the member no
// longer leads), the guard refuses and the cycle changes nothing.
func TestSnapshotSyncAnnouncesEachChangeUnderTheLeadership(t *testing.T) {
	s, _ := snapshotTestSetup(t)
	if err := s.guard(t.Context(), "restore of logs-a"); err == nil {
		t.Fatal("the guard let a change through outside a term")
	}
	st := &intentStore{}
	s.store = st
	if err := s.guard(t.Context(), "restore of logs-a"); err != nil {
		t.Fatalf("guard while leading: %v", err)
	}
	if len(st.puts) != 1 || st.puts[0] != "intents/standby: snapshot sync: restore of logs-a" {
		t.Errorf("intents put: %q", st.puts)
	}
	st.refuse = state.ErrNotLeader
	if err := s.guard(t.Context(), "restore of logs-b"); !errors.Is(err, state.ErrNotLeader) {
		t.Errorf("guard of a deposed member: %v, want state.ErrNotLeader", err)
	}
}

// TestSyncNowIsRefusedWhereTheSyncDoesNotRun: a member that does not lead, or whose sync
// is paused, refuses sync-now with the reason; so does one whose loop is not running.
func TestSyncNowIsRefusedWhereTheSyncDoesNotRun(t *testing.T) {
	s, _ := snapshotTestSetup(t)
	s.setPaused("not leading: the fleet's leader runs snapshot sync")
	var re *admin.RefusedError
	if _, err := s.syncNow(); !errors.As(err, &re) || re.Code != admin.CodeSnapshotPaused || !strings.Contains(re.Reason, "not leading") {
		t.Errorf("sync-now while not leading: %v", err)
	}
	s.setPaused("")
	if _, err := s.syncNow(); !errors.As(err, &re) || re.Code != admin.CodeSnapshotPaused {
		t.Errorf("sync-now with no loop running: %v", err)
	}
}
