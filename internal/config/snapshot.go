package config

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// SnapshotSyncConfig keeps the standby's copy of indices written around esdr (directly
// to the primary, not through its proxy) fresh by snapshot and restore on an interval
// (docs/mirror.md, "Snapshot sync"). The block being present turns it on; enabled: false
// keeps it written but off.
type SnapshotSyncConfig struct {
	Enabled bool `yaml:"enabled"`
	// Repository is registered under one name on both clusters: writable on the primary,
	// read-only on the standby.
	Repository SnapshotRepositoryConfig `yaml:"repository"`
	// Indices are the index names or patterns (* only) written around esdr.
	Indices []string `yaml:"indices"`
	// Interval is between the starts of two cycles.
	Interval time.Duration `yaml:"interval"`
	// Keep is how many of esdr's snapshots stay in the repository, newest first.
	Keep int `yaml:"keep"`
	// Prefix starts the name of every snapshot esdr takes; only those are pruned.
	Prefix string `yaml:"prefix"`
	// SnapshotTimeout bounds one snapshot; RestoreTimeout the restore of one index;
	// PollInterval is how often their progress is asked for.
	SnapshotTimeout time.Duration `yaml:"snapshot_timeout"`
	RestoreTimeout  time.Duration `yaml:"restore_timeout"`
	PollInterval    time.Duration `yaml:"poll_interval"`
	// IndexSettings are applied to every restored index, e.g.
	// {index.number_of_replicas: "0"} for a smaller standby.
	IndexSettings map[string]string `yaml:"index_settings"`
}

// SnapshotRepositoryConfig is the snapshot repository both clusters share.
type SnapshotRepositoryConfig struct {
	Name     string            `yaml:"name"`
	Type     string            `yaml:"type"`     // fs, s3, gcs, azure, ...
	Settings map[string]string `yaml:"settings"` // the type's settings, e.g. location or bucket
}

// Snapshot sync defaults, applied by normalize to the values the file leaves out. They
// are internal/mirror/snapshot's defaults.
const (
	DefaultSnapshotRepositoryName = "esdr-sync"
	DefaultSnapshotInterval       = 15 * time.Minute
	DefaultSnapshotKeep           = 5
	DefaultSnapshotPrefix         = "esdr-sync"
	DefaultSnapshotTimeout        = 30 * time.Minute
	DefaultSnapshotRestoreTimeout = 30 * time.Minute
	DefaultSnapshotPollInterval   = 2 * time.Second
)

// The keys problems name.
const (
	snapshotSyncKey = "snapshot_sync"
	snapshotRepoKey = snapshotSyncKey + ".repository"
)

// preset turns the block on when it is present; enabled: false turns it off.
func (s *SnapshotSyncConfig) preset() { s.Enabled = true }

// On reports whether snapshot sync is configured and enabled.
func (s *SnapshotSyncConfig) On() bool { return s != nil && s.Enabled }

func (s *SnapshotSyncConfig) normalize() {
	if s == nil {
		return
	}
	if s.Repository.Name == "" {
		s.Repository.Name = DefaultSnapshotRepositoryName
	}
	if s.Interval == 0 {
		s.Interval = DefaultSnapshotInterval
	}
	if s.Keep == 0 {
		s.Keep = DefaultSnapshotKeep
	}
	if s.Prefix == "" {
		s.Prefix = DefaultSnapshotPrefix
	}
	if s.SnapshotTimeout == 0 {
		s.SnapshotTimeout = DefaultSnapshotTimeout
	}
	if s.RestoreTimeout == 0 {
		s.RestoreTimeout = DefaultSnapshotRestoreTimeout
	}
	if s.PollInterval == 0 {
		s.PollInterval = DefaultSnapshotPollInterval
	}
}

// The names the snapshot and restore APIs accept, as internal/mirror/snapshot checks them.
var (
	snapshotNameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)
	snapshotPrefixRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)
	snapshotPatternRE = regexp.MustCompile(`^[a-z0-9.*][a-z0-9_.*+-]{0,254}$`)
)

// validate checks the block and what it needs from the rest of the file: a pair of
// clusters (the active one is snapshotted, the other restored). In a fleet the leader runs it.
func (s *SnapshotSyncConfig) validate(p *collector, c *Config) {
	if !s.On() {
		return
	}
	const k = snapshotSyncKey
	if n := len(c.Clusters); n != 2 && n >= 2 {
		p.add(k, "snapshot sync copies the active cluster of a pair to the other, want exactly 2 clusters, got %d", n)
	}
	r := s.Repository
	if !snapshotNameRE.MatchString(r.Name) {
		p.add(field(snapshotRepoKey, "name"), "%s is not a repository name, want 1-100 of a-z, 0-9, _ and -", quote(r.Name))
	}
	if r.Type == "" {
		p.add(field(snapshotRepoKey, "type"), "missing, want a repository type such as fs or s3")
	} else if !snapshotNameRE.MatchString(r.Type) {
		p.add(field(snapshotRepoKey, "type"), "%s is not a repository type, want one such as fs, s3, gcs or azure", quote(r.Type))
	}
	if _, ok := r.Settings["readonly"]; ok {
		p.add(field(snapshotRepoKey+".settings", "readonly"), "set by esdr (writable on the primary, read-only on the standby), want it left out")
	}
	if len(s.Indices) == 0 {
		p.add(snapshotSyncKey+".indices", "missing, want the indices written around esdr, such as [\"logs-*\", audit]")
	}
	for i, pat := range s.Indices {
		if !snapshotPatternRE.MatchString(pat) || strings.HasPrefix(pat, "_") {
			p.add(index(snapshotSyncKey+".indices", i), "%s is not an index pattern, want a lowercase index name with * as wildcard, no exclusions, commas or _all", quote(pat))
		}
	}
	if !snapshotPrefixRE.MatchString(s.Prefix) {
		p.add(field(k, "prefix"), "%s is not a snapshot name prefix, want 1-50 of a-z, 0-9 and -", quote(s.Prefix))
	}
	if s.Keep < 1 || s.Keep > 1000 {
		p.add(field(k, "keep"), "%d is out of range, want 1 to %d snapshots (default %d)", s.Keep, 1000, DefaultSnapshotKeep)
	}
	if s.Interval < time.Second || s.Interval > 24*time.Hour {
		p.add(field(k, "interval"), "%s is out of range, want 1s to 24h (default %s)", fmtDuration(s.Interval), fmtDuration(DefaultSnapshotInterval))
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"snapshot_timeout", s.SnapshotTimeout}, {"restore_timeout", s.RestoreTimeout}} {
		if d.v < time.Second || d.v > 24*time.Hour {
			p.add(field(k, d.key), "%s is out of range, want 1s to 24h (default 30m)", fmtDuration(d.v))
		}
	}
	if s.PollInterval < 100*time.Millisecond || s.PollInterval > time.Minute {
		p.add(field(k, "poll_interval"), "%s is out of range, want 100ms to 1m (default %s)", fmtDuration(s.PollInterval), fmtDuration(DefaultSnapshotPollInterval))
	}
	for _, name := range slices.Sorted(maps.Keys(s.IndexSettings)) {
		if !strings.HasPrefix(name, "index.") {
			p.add(field(snapshotSyncKey+".index_settings", displayKey(name)), "not an index setting, want a name starting with index., such as index.number_of_replicas")
		}
	}
}

// warnings are what works but needs the operator's care: with mirror mode on, esdr
// cannot check that the snapshot-synced indices are not also written through its proxy.
func (s *SnapshotSyncConfig) warnings(c *Config) []string {
	if !s.On() || !c.Mirror.On() || len(c.Mirror.Indices) > 0 {
		return nil
	}
	return []string{"snapshot_sync with mirror: esdr cannot tell which indices are written through its proxy; " +
		"list them in mirror.indices so that esdr checks snapshot_sync.indices against them, and keep " +
		"snapshot_sync.indices to indices written around esdr, or a restore discards mirrored writes"}
}
