package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/admin"
)

// restartFake is opsFake with a replication to west stopped at seq 7.
type restartFake struct{ opsFake }

func (restartFake) Resync(context.Context, string) (admin.ResyncAnswer, error) {
	return admin.ResyncAnswer{}, nil
}

func (restartFake) CompareCounts(context.Context, string, string) (admin.CountComparison, error) {
	return admin.CountComparison{}, nil
}

func (restartFake) RestartMirror(_ context.Context, req admin.RestartRequest) (admin.RestartAnswer, error) {
	if req.Skip != 0 && req.Skip != 7 {
		return admin.RestartAnswer{}, &admin.RefusedError{Code: admin.CodeSkipMismatch,
			Reason: "--skip 6: replication to west stopped at seq 7; only that record can be skipped (check it, then --skip 7)"}
	}
	a := admin.RestartAnswer{Cluster: "west", StoppedAt: 7, From: 7, Pending: 3}
	if req.Skip == 7 {
		a.Skipped, a.SkippedRecord, a.From, a.Pending = 7, "PUT /orders/_doc/9 (index orders, id 9)", 8, 2
	}
	return a, nil
}

// TestMirrorRestartSaysWhatRestartedFromWhichSeqAndWhatWasSkipped: a restart prints the
// cluster and the seq it resumes at; a skip names the dropped write; a skip of another
// record fails with the seq to check; bad flags and subcommands exit 2.
func TestMirrorRestartSaysWhatRestartedFromWhichSeqAndWhatWasSkipped(t *testing.T) {
	t.Setenv("ESDR_ADDR", opsServer(t, restartFake{}))
	t.Setenv("ESDR_ADMIN_TOKEN", opsToken)
	cases := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"mirror", "restart"}, 0, "replication to west restarted from seq 7; it lacks 3 journaled writes", ""},
		{[]string{"mirror", "restart", "--to", "west", "--skip", "7"}, 0,
			"seq 7 skipped for west: PUT /orders/_doc/9 (index orders, id 9) is dropped for west", ""},
		{[]string{"mirror", "restart", "--skip", "6"}, 1, "", "replication to west stopped at seq 7; only that record can be skipped"},
		{[]string{"mirror", "restart", "--json"}, 0, `"from": 7`, ""},
		{[]string{"mirror", "restart", "--skip", "all"}, 2, "", `invalid value "all" for flag -skip`},
		{[]string{"mirror", "restart", "west"}, 2, "", `unexpected argument "west"`},
		{[]string{"mirror", "reboot"}, 2, "", `unknown subcommand "reboot"`},
		{[]string{"mirror"}, 2, "", "restart"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := runOps(c.args...)
			if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant exit %d, %q on stdout, %q on stderr", code, out, errs, c.code, c.out, c.err)
			}
		})
	}
}

func TestTheMirrorSectionSaysWhereAStoppedReplicationStoppedAndHowToRestartIt(t *testing.T) {
	var out bytes.Buffer
	printMirror(&out, &admin.MirrorStatus{Pair: []string{"primary", "standby"}, Pending: map[string]uint64{"standby": 3},
		Stopped: "to standby: mirror: standby refused seq 12", StoppedAt: map[string]uint64{"standby": 12}}, "primary", "primary")
	for _, want := range []string{"REPLICATION STOPPED:", "to standby stopped at:", "seq 12", "esdr mirror restart --to standby", "--skip 12"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("esdr status mirror section lacks %q:\n%s", want, out.String())
		}
	}
}
