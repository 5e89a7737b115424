package config

import (
	"slices"
	"time"
)

// HealthConfig is how a cluster is probed and when a run of results changes its verdict.
// The thresholds work like a Route 53 health check's failure threshold, in both
// directions: a cluster is down after FailureThreshold failed probes in a row and up
// again after SuccessThreshold passing ones.
type HealthConfig struct {
	// Interval between the starts of two probes of one cluster. Route 53 offers 10s or
	// 30s; esdr is in the same network as the clusters and defaults to 1s.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one probe. It may not exceed Interval, so at most one probe per
	// cluster is in flight and failure_threshold × interval is the detection time.
	// Default: the interval, at most 2s.
	Timeout          time.Duration `yaml:"timeout"`
	FailureThreshold int           `yaml:"failure_threshold"`
	SuccessThreshold int           `yaml:"success_threshold"`
	// Checks all have to pass for a probe to pass. Default: one cluster check.
	Checks []CheckConfig `yaml:"checks"`

	// timeoutDerived records that Timeout was not written but derived from Interval, so
	// that a cluster overriding only the interval gets a timeout derived from its own.
	timeoutDerived bool
}

// HealthOverride is a cluster's own health block: every field it sets replaces the
// top-level one. Checks, when given, replace the whole list. MinNodes and MinDataNodes
// are a shortcut that sets those fields on every cluster check, since "the standby is
// smaller" is the common reason to override anything.
type HealthOverride struct {
	Interval         *time.Duration `yaml:"interval"`
	Timeout          *time.Duration `yaml:"timeout"`
	FailureThreshold *int           `yaml:"failure_threshold"`
	SuccessThreshold *int           `yaml:"success_threshold"`
	Checks           []CheckConfig  `yaml:"checks"`
	MinNodes         *int           `yaml:"min_nodes"`
	MinDataNodes     *int           `yaml:"min_data_nodes"`
}

// Bounds of the health block. The interval is bounded below so a misplaced unit
// ("1ms") cannot hammer a cluster, and above so detection stays in minutes.
const (
	minInterval   = 100 * time.Millisecond
	maxInterval   = 5 * time.Minute
	minTimeout    = 10 * time.Millisecond
	maxTimeoutDef = 2 * time.Second
	maxThreshold  = 10
)

// DefaultHealth probes every second with one cluster check and thresholds 3/3: a dead
// cluster is declared down after about 3 seconds, a recovered one up after 3.
func DefaultHealth() HealthConfig {
	return HealthConfig{
		Interval:         time.Second,
		FailureThreshold: 3,
		SuccessThreshold: 3,
		Checks:           []CheckConfig{DefaultClusterCheck()},
	}
}

// normalize derives the timeout when none was written and fills check defaults.
func (h *HealthConfig) normalize() {
	if h.Timeout == 0 {
		h.Timeout = min(h.Interval, maxTimeoutDef)
		h.timeoutDerived = true
	}
	normalizeChecks(h.Checks)
}

// merge lays o over h. The result shares no memory with either.
func (h HealthConfig) merge(o *HealthOverride) HealthConfig {
	m := h
	m.Checks = cloneChecks(h.Checks)
	if o == nil {
		return m
	}
	if o.Interval != nil {
		m.Interval = *o.Interval
		if h.timeoutDerived {
			m.Timeout = min(m.Interval, maxTimeoutDef)
		}
	}
	if o.Timeout != nil {
		m.Timeout = *o.Timeout
		m.timeoutDerived = false
	}
	if o.FailureThreshold != nil {
		m.FailureThreshold = *o.FailureThreshold
	}
	if o.SuccessThreshold != nil {
		m.SuccessThreshold = *o.SuccessThreshold
	}
	if o.Checks != nil {
		m.Checks = cloneChecks(o.Checks)
	}
	for i := range m.Checks {
		if m.Checks[i].Kind != KindCluster {
			continue
		}
		if o.MinNodes != nil {
			m.Checks[i].MinNodes = *o.MinNodes
		}
		if o.MinDataNodes != nil {
			m.Checks[i].MinDataNodes = *o.MinDataNodes
		}
	}
	return m
}

func (o *HealthOverride) clone() *HealthOverride {
	if o == nil {
		return nil
	}
	return &HealthOverride{
		Interval:         clonePtr(o.Interval),
		Timeout:          clonePtr(o.Timeout),
		FailureThreshold: clonePtr(o.FailureThreshold),
		SuccessThreshold: clonePtr(o.SuccessThreshold),
		Checks:           cloneChecks(o.Checks),
		MinNodes:         clonePtr(o.MinNodes),
		MinDataNodes:     clonePtr(o.MinDataNodes),
	}
}

// validate checks the top-level block.
func (h HealthConfig) validate(p *collector, key string) {
	intervalOK := checkInterval(p, field(key, "interval"), h.Interval)
	// A timeout derived from the interval is right whenever the interval is: a problem
	// with it is the interval's, said there, not at a key the file does not have.
	if !h.timeoutDerived && checkTimeout(p, field(key, "timeout"), h.Timeout) && intervalOK && h.Timeout > h.Interval {
		p.add(field(key, "timeout"), "%s is longer than the interval (%s), want at most the interval so probes never overlap", fmtDuration(h.Timeout), fmtDuration(h.Interval))
	}
	checkThreshold(p, field(key, "failure_threshold"), h.FailureThreshold)
	checkThreshold(p, field(key, "success_threshold"), h.SuccessThreshold)
	if len(h.Checks) == 0 {
		p.add(field(key, "checks"), "no checks, want at least one (kind cluster or http), or leave checks out for the default cluster check")
	}
	for i, ch := range h.Checks {
		ch.validate(p, index(field(key, "checks"), i))
	}
}

// validate checks what a cluster's override sets, at its own keys, and the one rule
// that spans both blocks: the merged timeout may not exceed the merged interval.
func (o *HealthOverride) validate(p *collector, key string, merged HealthConfig) {
	ok := true
	if o.Interval != nil {
		ok = checkInterval(p, field(key, "interval"), *o.Interval) && ok
	}
	if o.Timeout != nil {
		ok = checkTimeout(p, field(key, "timeout"), *o.Timeout) && ok
	}
	if ok && (o.Interval != nil || o.Timeout != nil) && merged.Timeout > merged.Interval {
		if o.Timeout != nil {
			p.add(field(key, "timeout"), "%s is longer than the interval (%s), want at most the interval so probes never overlap", fmtDuration(merged.Timeout), fmtDuration(merged.Interval))
		} else {
			p.add(field(key, "interval"), "%s is shorter than health.timeout (%s), want at least the timeout, or set a timeout here too", fmtDuration(merged.Interval), fmtDuration(merged.Timeout))
		}
	}
	if o.FailureThreshold != nil {
		checkThreshold(p, field(key, "failure_threshold"), *o.FailureThreshold)
	}
	if o.SuccessThreshold != nil {
		checkThreshold(p, field(key, "success_threshold"), *o.SuccessThreshold)
	}
	if o.Checks != nil && len(o.Checks) == 0 {
		p.add(field(key, "checks"), "no checks, want at least one, or leave checks out to use health.checks")
	}
	for i, ch := range o.Checks {
		ch.validate(p, index(field(key, "checks"), i))
	}
	checkCount(p, field(key, "min_nodes"), o.MinNodes)
	checkCount(p, field(key, "min_data_nodes"), o.MinDataNodes)
	if o.MinNodes != nil || o.MinDataNodes != nil {
		if !slices.ContainsFunc(merged.Checks, func(c CheckConfig) bool { return c.Kind == KindCluster }) {
			k := field(key, "min_nodes")
			if o.MinNodes == nil {
				k = field(key, "min_data_nodes")
			}
			p.add(k, "set, but this cluster's checks have no cluster check for it to apply to, want a check of kind cluster or the key left out")
		}
	}
}

func checkInterval(p *collector, key string, d time.Duration) bool {
	if d < minInterval || d > maxInterval {
		p.add(key, "%s is out of range, want %s to %s", fmtDuration(d), fmtDuration(minInterval), fmtDuration(maxInterval))
		return false
	}
	return true
}

func checkTimeout(p *collector, key string, d time.Duration) bool {
	if d < minTimeout {
		p.add(key, "%s is too short, want %s or more (and at most the interval)", fmtDuration(d), fmtDuration(minTimeout))
		return false
	}
	return true
}

func checkThreshold(p *collector, key string, n int) {
	if n < 1 || n > maxThreshold {
		p.add(key, "%d is out of range, want 1 to %d (as in Route 53)", n, maxThreshold)
	}
}

func checkCount(p *collector, key string, n *int) {
	if n != nil && *n < 0 {
		p.add(key, "%d is negative, want 0 or more", *n)
	}
}
