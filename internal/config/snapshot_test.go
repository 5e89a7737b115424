package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/mirror/snapshot"
)

// TestSnapshotSyncDefaultsMatch keeps the documented defaults those of the sync itself.
func TestSnapshotSyncDefaultsMatch(t *testing.T) {
	if DefaultSnapshotInterval != snapshot.DefaultInterval || DefaultSnapshotKeep != snapshot.DefaultKeep ||
		DefaultSnapshotPrefix != snapshot.DefaultPrefix || DefaultSnapshotTimeout != snapshot.DefaultSnapshotTimeout ||
		DefaultSnapshotRestoreTimeout != snapshot.DefaultRestoreTimeout || DefaultSnapshotPollInterval != snapshot.DefaultPollInterval {
		t.Error("config's snapshot_sync defaults differ from internal/mirror/snapshot's")
	}
}

func TestSnapshotSyncGood(t *testing.T) {
	c, err := Load("testdata/good/snapshot_sync.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := c.SnapshotSync
	if !s.On() {
		t.Fatal("snapshot_sync is off, want it on: the block is present")
	}
	want := &SnapshotSyncConfig{Enabled: true,
		Repository: SnapshotRepositoryConfig{Name: "dr-sync", Type: "s3",
			Settings: map[string]string{"bucket": "dr-snapshots", "base_path": "esdr", "compress": "true"}},
		Indices: []string{"logs-*", "audit"}, Interval: 10 * time.Minute, Keep: 3, Prefix: "esdr",
		SnapshotTimeout: 20 * time.Minute, RestoreTimeout: time.Hour, PollInterval: 5 * time.Second,
		IndexSettings: map[string]string{"index.number_of_replicas": "0"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("snapshot_sync = %+v\nwant %+v", s, want)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "snapshot_sync with mirror") {
		t.Errorf("warnings = %q, want one about keeping mirrored and snapshot-synced indices apart", c.Warnings)
	}
}

func TestSnapshotSyncDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, block string
		on          bool
	}{
		{"minimal", "snapshot_sync:\n  repository: {type: fs, settings: {location: /srv/repo}}\n  indices: [logs-*]\n", true},
		{"disabled", "snapshot_sync:\n  enabled: false\n", false},
		{"absent", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "admin: {listen: \"\"}\nmetrics: {enabled: false}\nclusters:\n  - {name: a, nodes: [http://127.0.0.1:9200]}\n  - {name: b, nodes: [http://127.0.0.1:9201]}\n" + tc.block
			c, err := Parse([]byte(doc), t.TempDir(), testEnv(nil))
			if err != nil {
				t.Fatal(err)
			}
			s := c.SnapshotSync
			if s.On() != tc.on {
				t.Fatalf("On() = %v, want %v", s.On(), tc.on)
			}
			if !tc.on {
				return
			}
			if s.Repository.Name != DefaultSnapshotRepositoryName || s.Interval != DefaultSnapshotInterval ||
				s.Keep != DefaultSnapshotKeep || s.Prefix != DefaultSnapshotPrefix || s.SnapshotTimeout != DefaultSnapshotTimeout ||
				s.RestoreTimeout != DefaultSnapshotRestoreTimeout || s.PollInterval != DefaultSnapshotPollInterval {
				t.Errorf("snapshot_sync = %+v, want the defaults", s)
			}
			if len(c.Warnings) != 0 {
				t.Errorf("warnings = %q, want none without mirror mode", c.Warnings)
			}
		})
	}
}
