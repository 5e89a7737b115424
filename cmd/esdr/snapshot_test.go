package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
)

// syncFake is opsFake running a snapshot sync from east to west whose next cycle, once
// asked, has restored esdr-sync-2; or, with refuse, a member that does not lead.
type syncFake struct {
	opsFake
	refuse bool
}

func (f syncFake) SyncNow(context.Context, string) (admin.SyncNowAnswer, error) {
	if f.refuse {
		return admin.SyncNowAnswer{}, &admin.RefusedError{Code: admin.CodeSnapshotPaused,
			Reason: "the snapshot sync does not run now: not leading: the fleet's leader runs snapshot sync"}
	}
	return admin.SyncNowAnswer{From: "east", To: "west", Cycles: 2, LastGoodSnapshot: "esdr-sync-1"}, nil
}

func (f syncFake) Status(ctx context.Context) (admin.Status, error) {
	st, err := f.opsFake.Status(ctx)
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	st.Snapshot = &admin.SnapshotStatus{From: "east", To: "west", Cycles: 3, LastGoodSnapshot: "esdr-sync-2", LastGood: &at, Restored: 4}
	return st, err
}

// TestSnapshotSyncNowStartsACycleAndWaitsForItWhenAsked: sync-now says which sync
// started, --wait prints the snapshot restored by the cycle it asked for, a member that
// does not run the sync refuses with the reason (exit 1), bad flags exit 2.
func TestSnapshotSyncNowStartsACycleAndWaitsForItWhenAsked(t *testing.T) {
	t.Setenv("ESDR_ADMIN_TOKEN", opsToken)
	cases := []struct {
		fake     syncFake
		args     []string
		code     int
		out, err string
	}{
		{syncFake{}, []string{"snapshot", "sync-now"}, 0, "a cycle from east to west started", ""},
		{syncFake{}, []string{"snapshot", "sync-now", "--wait"}, 0, "esdr-sync-2 restored on west", ""},
		{syncFake{}, []string{"snapshot", "sync-now", "--json"}, 0, `"last_good_snapshot": "esdr-sync-1"`, ""},
		{syncFake{refuse: true}, []string{"snapshot", "sync-now"}, 1, "", "not leading"},
		{syncFake{}, []string{"snapshot", "sync-now", "--wait", "--within", "0s"}, 2, "", "--within 0s: want a positive duration"},
		{syncFake{}, []string{"snapshot", "sync-now", "now"}, 2, "", `unexpected argument "now"`},
		{syncFake{}, []string{"snapshot", "restore"}, 2, "", `unknown subcommand "restore"`},
		{syncFake{}, []string{"snapshot"}, 2, "", "sync-now"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Setenv("ESDR_ADDR", opsServer(t, c.fake))
			code, out, errs := runOps(c.args...)
			if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant exit %d, %q on stdout, %q on stderr", code, out, errs, c.code, c.out, c.err)
			}
		})
	}
}
