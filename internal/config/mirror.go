package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/mirror/snapshot"
)

// MirrorConfig turns on write mirroring (docs/mirror.md): the proxy journals every
// write the active cluster accepted, durably, before the client is answered, and a
// replicator applies the journal to the other cluster of the pair in order. Leaving the
// block out, or enabled: false, mirrors nothing.
type MirrorConfig struct {
	Enabled bool `yaml:"enabled"`
	// JournalDir holds the journal's segment files, relative to the configuration file.
	// One esdr at a time: the directory is locked.
	JournalDir string `yaml:"journal_dir"`
	// MaxBytes bounds the journal on disk: when the standby lags that far behind,
	// writes are refused (503) instead of lost.
	MaxBytes int `yaml:"max_bytes"`
	// SegmentBytes is the size of one segment file, at most a quarter of MaxBytes.
	SegmentBytes int `yaml:"segment_bytes"`
	// MaxBody bounds one write's body, which is read whole to be journaled (413 past it).
	MaxBody int `yaml:"max_body"`
	// derived marks the sizes normalize took from MaxBytes: a problem with them is
	// max_bytes's, said there.
	derived struct{ segment, body bool }
	// DrainWait is how long a write waits, after a failover, for the new active cluster
	// to have applied every journaled write meant for it, before it fails with 503.
	DrainWait time.Duration `yaml:"drain_wait"`
	// MaxLagOnFailover is how many journaled writes the failover target may still lack
	// for an automatic failover to go ahead (Patroni's maximum_lag_on_failover, counted
	// in writes). Past it the failover is refused, with the lag in the reason, until the
	// standby catches up or an operator runs esdr switchover --force.
	MaxLagOnFailover int `yaml:"max_lag_on_failover"`
	// Indices, optional, are the index names or patterns (* only) that applications
	// write through esdr's proxy. A declaration, not a filter: mirror mode mirrors every
	// write it takes. With snapshot_sync on, its indices may not overlap these, since a
	// restore over a mirrored index would discard the writes mirrored since the snapshot.
	Indices []string `yaml:"indices"`
}

// Mirror defaults, applied by normalize to the values the file leaves out.
const (
	DefaultMirrorJournalDir   = "esdr-journal"
	DefaultMirrorMaxBytes     = 1 << 30
	DefaultMirrorSegmentBytes = 32 << 20
	DefaultMirrorMaxBody      = 100 << 20
	DefaultMirrorDrainWait    = 30 * time.Second
	DefaultMirrorMaxLag       = 10000
)

// On reports whether mirroring is configured and enabled.
func (m *MirrorConfig) On() bool { return m != nil && m.Enabled }

func (m *MirrorConfig) normalize(baseDir string) {
	if m == nil {
		return
	}
	if m.JournalDir == "" {
		m.JournalDir = DefaultMirrorJournalDir
	}
	m.JournalDir = resolvePath(baseDir, m.JournalDir)
	if m.MaxBytes == 0 {
		m.MaxBytes = DefaultMirrorMaxBytes
	}
	if m.SegmentBytes == 0 {
		m.SegmentBytes = min(DefaultMirrorSegmentBytes, m.MaxBytes/4)
		m.derived.segment = true
	}
	if m.MaxBody == 0 {
		m.MaxBody = min(DefaultMirrorMaxBody, m.MaxBytes/2)
		m.derived.body = true
	}
	if m.DrainWait == 0 {
		m.DrainWait = DefaultMirrorDrainWait
	}
	if m.MaxLagOnFailover == 0 {
		m.MaxLagOnFailover = DefaultMirrorMaxLag
	}
}

// validate checks the block and what it needs from the rest of the file: a proxy (the
// write path) and exactly two clusters (a pair). In a fleet each member journals on its
// own disk (journal_dir is per member).
func (m *MirrorConfig) validate(p *collector, c *Config) {
	if !m.On() {
		return
	}
	if c.Proxy.Listen == "" {
		p.add("mirror", "mirror mode needs proxy.listen: only writes through esdr's proxy are mirrored")
	}
	if n := len(c.Clusters); n != 2 && n >= 2 {
		p.add("mirror", "mirror mode keeps a pair of clusters in step, want exactly 2 clusters, got %d", n)
	}
	maxOK := m.MaxBytes >= 1<<20 && m.MaxBytes <= 1<<40
	if !maxOK {
		p.add("mirror.max_bytes", "%d is out of range, want 1048576 (1 MiB) to 1099511627776 (1 TiB)", m.MaxBytes)
	}
	// The bounds the others take from max_bytes are checked against it only when it is
	// valid; their own bounds always.
	quarter, half := "", ""
	if maxOK {
		quarter, half = fmt.Sprintf(" (%d)", m.MaxBytes/4), fmt.Sprintf(" (%d)", min(m.MaxBytes/2, 1<<31))
	}
	if !(m.derived.segment && !maxOK) && (m.SegmentBytes < 4096 || maxOK && m.SegmentBytes > m.MaxBytes/4) {
		p.add("mirror.segment_bytes", "%d is out of range, want 4096 to a quarter of mirror.max_bytes%s", m.SegmentBytes, quarter)
	}
	if !(m.derived.body && !maxOK) && (m.MaxBody < 1024 || m.MaxBody > 1<<31 || maxOK && m.MaxBody > m.MaxBytes/2) {
		p.add("mirror.max_body", "%d is out of range, want 1024 to half of mirror.max_bytes%s, at most 2 GiB", m.MaxBody, half)
	}
	if m.DrainWait < 0 || m.DrainWait > 10*time.Minute {
		p.add("mirror.drain_wait", "%s is out of range, want 0 (the default, 30s) to 10m", fmtDuration(m.DrainWait))
	}
	if m.MaxLagOnFailover < 0 {
		p.add("mirror.max_lag_on_failover", "%d is negative, want the number of journaled writes the failover target may lack (default %d)", m.MaxLagOnFailover, DefaultMirrorMaxLag)
	}
	for i, pat := range m.Indices {
		if !snapshotPatternRE.MatchString(pat) || strings.HasPrefix(pat, "_") {
			p.add(index("mirror.indices", i), "%s is not an index pattern, want a lowercase index name with * as wildcard, no exclusions, commas or _all", quote(pat))
			continue
		}
		if !c.SnapshotSync.On() {
			continue
		}
		for j, snap := range c.SnapshotSync.Indices {
			if snapshot.PatternsOverlap(pat, snap) {
				p.add(index(snapshotSyncKey+".indices", j), "%s overlaps mirror.indices[%d] %s: a restore over an index written through esdr "+
					"would discard the writes mirrored since the snapshot began; want only indices written around esdr", quote(snap), i, quote(pat))
			}
		}
	}
}
