// Package config turns esdr's YAML file into one validated struct tree: it owns the
// schema, its defaults, ${ENV} expansion, strict decoding and validation, and reports
// every problem at once, each naming its key and what is allowed there.
//
// Each type's defaults and validation sit beside the type: cluster.go, health.go,
// check.go, failover.go and server.go. decode.go and strict.go turn YAML into the
// tree, env.go expands variables, load.go ties the steps together.
package config

import (
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// Config is esdr's whole configuration. The zero value is not useful: start from
// Default, or get one from Load or Parse, which return it defaulted and validated.
type Config struct {
	// Clusters in order of preference: the first is the primary, the others standbys,
	// tried in the order written. At least two.
	Clusters []ClusterConfig `yaml:"clusters"`
	// Health is how every cluster is probed, unless a cluster overrides part of it.
	Health   HealthConfig   `yaml:"health"`
	Failover FailoverConfig `yaml:"failover"`
	State    StateConfig    `yaml:"state"`
	Admin    AdminConfig    `yaml:"admin"`
	Metrics  MetricsConfig  `yaml:"metrics"`
	Log      LogConfig      `yaml:"log"`
	Proxy    ProxyConfig    `yaml:"proxy"`
	Act      ActConfig      `yaml:"act"`
	Hooks    HooksConfig    `yaml:"hooks"`
	Targets  TargetsConfig  `yaml:"targets"`
	AWS      AWSConfig      `yaml:"aws"`
	// PublishHealth sends esdr's verdicts to CloudWatch.
	PublishHealth PublishHealthConfig `yaml:"publish_health"`
	// Fleet, when set, runs this esdr as one member of a fleet over etcd; nil is the
	// embedded default (one process, state.path).
	Fleet *FleetConfig `yaml:"fleet"`
	// Mirror, when enabled, journals every write through the proxy and replays it to
	// the other cluster of the pair (docs/mirror.md).
	Mirror *MirrorConfig `yaml:"mirror"`
	// SnapshotSync, when set, snapshots indices written around esdr on the primary and
	// restores them on the standby on an interval (docs/mirror.md, "Snapshot sync").
	SnapshotSync *SnapshotSyncConfig `yaml:"snapshot_sync"`
	// Warnings are things that work but are probably not what the operator wants (a long
	// DNS TTL, a private address for a Route 53 checker). check-config prints them and
	// esdr run logs them; they do not stop esdr.
	Warnings []string `yaml:"-"`
}

// Default is the configuration before the file is applied: every key the file leaves
// out keeps the value here. It has no clusters, so it does not validate on its own.
func Default() *Config {
	return &Config{
		Health:        DefaultHealth(),
		Failover:      DefaultFailover(),
		State:         DefaultState(),
		Admin:         DefaultAdmin(),
		Metrics:       DefaultMetrics(),
		Log:           DefaultLog(),
		PublishHealth: DefaultPublishHealth(),
	}
}

// Policy is the part of the configuration the decide step depends on.
func (c *Config) Policy() decide.Policy {
	names := make([]string, len(c.Clusters))
	for i, cl := range c.Clusters {
		names[i] = cl.Name
	}
	p := decide.Policy{
		Clusters:      names,
		AutoFailover:  c.Failover.Auto,
		HoldDown:      c.Failover.HoldDown,
		Failback:      decide.FailbackMode(c.Failover.Failback),
		FailbackAfter: c.Failover.FailbackAfter,
	}
	if c.Mirror.On() && c.Mirror.MaxLagOnFailover > 0 {
		p.MaxLagOnFailover = uint64(c.Mirror.MaxLagOnFailover)
	}
	return p
}

// Cluster returns the cluster called name, and whether there is one.
func (c *Config) Cluster(name string) (ClusterConfig, bool) {
	for _, cl := range c.Clusters {
		if cl.Name == name {
			return cl, true
		}
	}
	return ClusterConfig{}, false
}

// ClusterHealth is the health configuration in force for the cluster called name: the
// top-level health block with the cluster's own health block laid over it. An unknown
// name gets the top-level block. The result shares no memory with c.
func (c *Config) ClusterHealth(name string) HealthConfig {
	cl, _ := c.Cluster(name)
	return c.Health.merge(cl.Health)
}

// DetectionTime is how long a cluster that stops answering takes to be declared down
// in the worst case: failure_threshold probes, each taking up to the interval. It is
// what the docs and `esdr check-config` quote to operators.
func (h HealthConfig) DetectionTime() time.Duration {
	return time.Duration(h.FailureThreshold) * h.Interval
}

// normalize fills defaults that depend on other values (check kinds, the derived probe
// timeout) and makes relative file paths relative to baseDir, the directory of the
// configuration file. It runs after decoding and before validation.
func (c *Config) normalize(baseDir string) {
	c.Health.normalize()
	for i := range c.Clusters {
		cl := &c.Clusters[i]
		if cl.Health != nil {
			normalizeChecks(cl.Health.Checks)
		}
		cl.TLS.CAFile = resolvePath(baseDir, cl.TLS.CAFile)
		cl.TLS.CertFile = resolvePath(baseDir, cl.TLS.CertFile)
		cl.TLS.KeyFile = resolvePath(baseDir, cl.TLS.KeyFile)
		cl.Auth.AWS.normalize()
		if cl.ProxyAuth != nil {
			cl.ProxyAuth.AWS.normalize()
		}
	}
	c.State.Path = resolvePath(baseDir, c.State.Path)
	c.Admin.TLS.normalize(baseDir)
	c.Proxy.TLS.normalize(baseDir)
	if c.Fleet != nil {
		c.Fleet.normalize(c.Health, baseDir)
	}
	c.Mirror.normalize(baseDir)
	c.SnapshotSync.normalize()
	c.Targets.normalize(baseDir)
}

// validate checks every part of c, adding one problem per thing wrong.
func (c *Config) validate(p *collector) {
	validateClusters(p, c.Clusters)
	c.Health.validate(p, "health")
	for i, cl := range c.Clusters {
		if cl.Health != nil {
			key := field(index("clusters", i), "health")
			cl.Health.validate(p, key, c.Health.merge(cl.Health))
		}
	}
	c.Failover.validate(p)
	c.State.validate(p)
	c.Admin.validate(p)
	c.Metrics.validate(p, c.Admin)
	c.Log.validate(p)
	c.Proxy.validate(p, c.Admin, c.Clusters)
	c.Act.validate(p)
	c.Hooks.validate(p)
	c.PublishHealth.validate(p)
	c.Fleet.validate(p)
	c.Mirror.validate(p, c)
	c.SnapshotSync.validate(p, c)
	c.Warnings = append(c.Fleet.warnings(), c.SnapshotSync.warnings(c)...)
	c.Warnings = append(c.Warnings, c.Proxy.warnings()...)
	c.Targets.validate(p, c.Policy().Clusters, func(w string) { c.Warnings = append(c.Warnings, w) })
}

// Validate checks a Config built in code (tests, the test bed) the way Parse checks a
// file. It returns nil or Problems.
func (c *Config) Validate() error {
	p := newCollector()
	p.validate = true
	c.validate(p)
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}
