package config

import (
	"path/filepath"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// FailoverConfig is when esdr may move traffic by itself. It becomes decide.Policy.
type FailoverConfig struct {
	// Auto lets esdr fail over without an operator once the active cluster is down and
	// a standby is up. When false esdr still watches and reports, and waits for a
	// switchover through the admin API.
	Auto bool `yaml:"auto"`
	// HoldDown is how long after an automatic transition no other automatic transition
	// happens unless an operator acknowledges it: two sites flapping must not bounce
	// traffic back and forth. 0 disables the hold-down.
	HoldDown time.Duration `yaml:"hold_down"`
	// Failback is manual (default) or auto. The old primary lacks every write the
	// standby took, so returning to it is by default an operator's decision.
	Failback string `yaml:"failback"`
	// FailbackAfter is how long the preferred cluster must stay up before an automatic
	// failback. Unused when failback is manual.
	FailbackAfter time.Duration `yaml:"failback_after"`
}

// maxHoldDown bounds the hold-down: longer than a day is a disabled failover in disguise.
const maxHoldDown = 24 * time.Hour

// DefaultFailover fails over automatically, holds down for 10 minutes, fails back manually.
func DefaultFailover() FailoverConfig {
	return FailoverConfig{
		Auto:          true,
		HoldDown:      10 * time.Minute,
		Failback:      string(decide.FailbackManual),
		FailbackAfter: 5 * time.Minute,
	}
}

func (f FailoverConfig) validate(p *collector) {
	if f.HoldDown < 0 || f.HoldDown > maxHoldDown {
		p.add("failover.hold_down", "%s is out of range, want 0 (no hold-down) to %s", fmtDuration(f.HoldDown), fmtDuration(maxHoldDown))
	}
	switch decide.FailbackMode(f.Failback) {
	case decide.FailbackManual, decide.FailbackAuto:
	default:
		p.add("failover.failback", "%q is not allowed, want manual or auto", f.Failback)
	}
	if f.FailbackAfter < 0 || (f.Failback == string(decide.FailbackAuto) && f.FailbackAfter < time.Second) {
		p.add("failover.failback_after", "%s is too short, want 1s or more (the preferred cluster must stay up that long before an automatic failback)", fmtDuration(f.FailbackAfter))
	}
}

// StateConfig is where esdr keeps what must survive a restart: the active cluster, its
// epoch, the hold-down and the event log.
type StateConfig struct {
	// Path of the bbolt file. Relative paths are relative to the configuration file's
	// directory, so `esdr -config /etc/esdr/esdr.yaml` does not depend on the cwd.
	Path string `yaml:"path"`
}

// DefaultState keeps the state beside the configuration file.
func DefaultState() StateConfig { return StateConfig{Path: "esdr-state.db"} }

func (s StateConfig) validate(p *collector) {
	if s.Path == "" {
		p.add("state.path", "missing, want a file path such as /var/lib/esdr/state.db")
	}
}

// resolvePath makes a relative path relative to baseDir. Empty paths stay empty, and
// an empty baseDir leaves the path relative to the working directory.
func resolvePath(baseDir, path string) string {
	if path == "" || baseDir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(baseDir, path)
}
