package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
)

func TestTheMirrorSectionNamesThePairWhatEachLacksAndTheJournal(t *testing.T) {
	var out bytes.Buffer
	printMirror(&out, &admin.MirrorStatus{Pair: []string{"primary", "standby"}, JournalDir: "/j", JournalMaxBytes: 1 << 30,
		Pending: map[string]uint64{"primary": 0, "standby": 3}, Cursors: map[string]uint64{}}, "primary", "primary")
	for _, want := range []string{"mirror:", "primary <-> standby", "standby lacks:", "3 journaled writes", "journal:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("esdr status mirror section lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTheMirrorSectionSaysAFencedStandbyIsNotWarmAfterAFailback(t *testing.T) {
	var out bytes.Buffer
	printMirror(&out, &admin.MirrorStatus{Pair: []string{"primary", "standby"}, Pending: map[string]uint64{"standby": 7},
		Fenced: []string{"standby"}}, "primary", "primary")
	if s := out.String(); !strings.Contains(s, "standby is read-only:") || !strings.Contains(s, "esdr resync --to standby") ||
		strings.Contains(s, "switchover") {
		t.Errorf("esdr status mirror section:\n%s\nwant esdr resync --to standby and no switchover to it", s)
	}
}

func TestTheMirrorSectionSaysWhatTheFleetsJournalsOwe(t *testing.T) {
	var out bytes.Buffer
	printMirror(&out, &admin.MirrorStatus{Pair: []string{"primary", "standby"}, Pending: map[string]uint64{"primary": 2},
		Owed:    map[string]uint64{"primary": 200, "standby": 0},
		Members: []admin.MirrorMember{{Member: "esdr-a", Epoch: 2, Reported: "3s", Owes: map[string]uint64{"primary": 198, "standby": 0}}}}, "standby", "primary")
	if !strings.Contains(out.String(), "member esdr-a owes:  primary 198, standby 0 (reported 3s ago, epoch 2)") {
		t.Errorf("esdr status mirror section:\n%s\nwant what esdr-a owes each cluster", out.String())
	}
	if !strings.Contains(out.String(), "2 journaled writes (cursor at seq 0); 200 in the fleet's journals") {
		t.Errorf("esdr status mirror section:\n%s\nwant the fleet's 200 beside this member's 2", out.String())
	}
}

func TestTheMirrorSectionSaysAFencedOldPrimaryWaitsForResync(t *testing.T) {
	var out bytes.Buffer
	printMirror(&out, &admin.MirrorStatus{Pair: []string{"primary", "standby"}, Pending: map[string]uint64{"primary": 7},
		Fenced: []string{"primary"}}, "standby", "primary")
	for _, want := range []string{"primary is read-only:", "esdr resync --to primary", "esdr switchover --to primary"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("esdr status mirror section lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTheSnapshotSectionSaysNoGoodCycleYetAndWhyItIsNotSyncing(t *testing.T) {
	var out bytes.Buffer
	printSnapshot(&out, &admin.SnapshotStatus{From: "primary", To: "standby", Repository: "esdr-sync", Paused: "waiting for the first decision"})
	for _, want := range []string{"snapshot sync:", "primary -> standby", "last good:", "none yet", "not syncing:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("esdr status snapshot section lacks %q:\n%s", want, out.String())
		}
	}
}

func TestThePlanSectionShowsAFailingStepsLastErrorAndTheFencesOwed(t *testing.T) {
	var out bytes.Buffer
	printPlan(&out, admin.Status{PendingFences: []string{"primary"}, Plan: &act.Plan{Epoch: 8, Action: decide.ActFailover, From: "primary", To: "standby",
		Status: act.StatusFailed, Steps: []act.Step{
			{Kind: act.StepUnfence, Name: "standby", Status: act.StatusDone, Attempts: 1},
			{Kind: act.StepSwitch, Name: "rfc2136:es.dr.test.", Status: act.StatusRunning, Attempts: 12, Error: "read udp 127.0.0.1:53: i/o timeout"},
		}}})
	for _, want := range []string{"plan:", "epoch 8, failover primary -> standby: FAILED", "switch rfc2136:es.dr.test.:", "running, 12 attempts",
		"last error: read udp 127.0.0.1:53: i/o timeout", "fences owed:", "primary: fenced as soon as they answer again"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("esdr status plan section lacks %q:\n%s", want, out.String())
		}
	}
}
