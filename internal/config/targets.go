package config

import (
	"strings"
	"time"

	"github.com/esdr/esdr/internal/route/elb"
	"github.com/esdr/esdr/internal/route/etcdkey"
	"github.com/esdr/esdr/internal/route/haproxy"
	"github.com/esdr/esdr/internal/route/rfc2136"
	"github.com/esdr/esdr/internal/route/route53"
)

// TargetsConfig lists the places, besides esdr's own proxy, that users point traffic at.
// Any combination may be configured; each is switched by every plan, in this order.
type TargetsConfig struct {
	Route53 []Route53Target `yaml:"route53"`
	ELB     []ELBTarget     `yaml:"elb"`
	RFC2136 []RFC2136Target `yaml:"rfc2136"`
	Etcd    []EtcdTarget    `yaml:"etcd"`
	HAProxy []HAProxyTarget `yaml:"haproxy"`
}

// AWSConfig is how esdr reaches AWS. Credentials come from the standard chain
// (environment, shared config, instance role); the endpoints are for tests (moto).
type AWSConfig struct {
	Region             string `yaml:"region"`
	Profile            string `yaml:"profile"`
	Route53Endpoint    string `yaml:"route53_endpoint"`
	CloudWatchEndpoint string `yaml:"cloudwatch_endpoint"`
	ELBEndpoint        string `yaml:"elb_endpoint"`
	// CloudWatchJSON speaks awsJson1.0 to CloudWatch instead of the SDK's default CBOR
	// protocol; real AWS takes both, emulators only JSON.
	CloudWatchJSON bool `yaml:"cloudwatch_json"`
}

// Route53Target is a record esdr owns (mode record) or a failover pair it keeps in step
// with its own health-check settings (mode failover-records).
type Route53Target struct {
	Mode                 string              `yaml:"mode"`
	HostedZoneID         string              `yaml:"hosted_zone_id"`
	Name                 string              `yaml:"name"`
	Type                 string              `yaml:"type"`
	TTL                  int                 `yaml:"ttl"`
	Alias                bool                `yaml:"alias"`
	AliasZoneIDs         map[string]string   `yaml:"alias_zone_ids"`
	EvaluateTargetHealth bool                `yaml:"evaluate_target_health"`
	Values               map[string][]string `yaml:"values"`
	Primary              string              `yaml:"primary"`
	Secondary            string              `yaml:"secondary"`
	CheckHosts           map[string]string   `yaml:"check_hosts"`
	HealthCheck          Route53HealthCheck  `yaml:"health_check"`
	SyncTimeout          time.Duration       `yaml:"sync_timeout"`
}

// Route53HealthCheck mirrors the Route 53 health-check settings esdr keeps in step.
type Route53HealthCheck struct {
	Protocol         string `yaml:"protocol"`
	Port             int    `yaml:"port"`
	Path             string `yaml:"path"`
	StringMatch      string `yaml:"string_match"`
	RequestInterval  int    `yaml:"request_interval"`
	FailureThreshold int    `yaml:"failure_threshold"`
}

// ELBTarget is an ALB or NLB listener whose default action esdr points at the active
// cluster's target group.
type ELBTarget struct {
	ListenerARN  string            `yaml:"listener_arn"`
	TargetGroups map[string]string `yaml:"target_groups"`
	Mode         string            `yaml:"mode"`
}

// RFC2136Target is a record in a zone updated by dynamic DNS with TSIG.
type RFC2136Target struct {
	Server        string              `yaml:"server"`
	Zone          string              `yaml:"zone"`
	Name          string              `yaml:"name"`
	Type          string              `yaml:"type"`
	TTL           int                 `yaml:"ttl"`
	Values        map[string][]string `yaml:"values"`
	TSIGKey       string              `yaml:"tsig_key"`
	TSIGSecret    Secret              `yaml:"tsig_secret"`
	TSIGAlgorithm string              `yaml:"tsig_algorithm"`
	TCP           bool                `yaml:"tcp"`
	Timeout       time.Duration       `yaml:"timeout"`
}

// EtcdTarget is a key holding the active endpoint as JSON, written only forward in epoch.
type EtcdTarget struct {
	Endpoints   []string      `yaml:"endpoints"`
	Key         string        `yaml:"key"`
	Username    string        `yaml:"username"`
	Password    Secret        `yaml:"password"`
	CAFile      string        `yaml:"ca_file"`
	CertFile    string        `yaml:"cert_file"`
	KeyFile     string        `yaml:"key_file"`
	ServerName  string        `yaml:"server_name"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
}

// HAProxyTarget is a backend whose servers esdr puts in ready or maint through the
// runtime API.
type HAProxyTarget struct {
	Socket  string              `yaml:"socket"`
	Backend string              `yaml:"backend"`
	Servers map[string][]string `yaml:"servers"`
	Timeout time.Duration       `yaml:"timeout"`
}

// Record converts a record-mode target.
func (t Route53Target) Record() route53.RecordConfig {
	return route53.RecordConfig{HostedZoneID: t.HostedZoneID, Name: t.Name, Type: t.Type, TTL: int64(t.TTL), Alias: t.Alias,
		AliasZoneIDs: t.AliasZoneIDs, EvaluateTargetHealth: t.EvaluateTargetHealth, Values: t.Values, SyncTimeout: t.SyncTimeout}
}

// Failover converts a failover-records target.
func (t Route53Target) Failover() route53.FailoverConfig {
	h := t.HealthCheck
	return route53.FailoverConfig{HostedZoneID: t.HostedZoneID, Name: t.Name, Type: t.Type, TTL: int64(t.TTL),
		Primary: t.Primary, Secondary: t.Secondary, Values: t.Values, CheckHosts: t.CheckHosts, SyncTimeout: t.SyncTimeout,
		HealthCheck: route53.HealthCheckConfig{Protocol: h.Protocol, Port: int32(h.Port), Path: h.Path, StringMatch: h.StringMatch,
			RequestInterval: int32(h.RequestInterval), FailureThreshold: int32(h.FailureThreshold)}}
}

// Route converts a load-balancer target.
func (t ELBTarget) Route() elb.Config {
	return elb.Config{ListenerARN: t.ListenerARN, TargetGroups: t.TargetGroups, Mode: t.Mode}
}

// Route converts an RFC 2136 target.
func (t RFC2136Target) Route() rfc2136.Config {
	return rfc2136.Config{Server: t.Server, Zone: t.Zone, Name: t.Name, Type: t.Type, TTL: uint32(max(t.TTL, 0)), Values: t.Values,
		TSIGKey: t.TSIGKey, TSIGSecret: t.TSIGSecret.Reveal(), TSIGAlgorithm: t.TSIGAlgorithm, TCP: t.TCP, Timeout: t.Timeout}
}

// Route converts an etcd target.
func (t EtcdTarget) Route() etcdkey.Config {
	return etcdkey.Config{Endpoints: t.Endpoints, Key: t.Key, Username: t.Username, Password: t.Password.Reveal(),
		CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, ServerName: t.ServerName, DialTimeout: t.DialTimeout}
}

// Route converts an HAProxy target.
func (t HAProxyTarget) Route() haproxy.Config {
	return haproxy.Config{Socket: t.Socket, Backend: t.Backend, Servers: t.Servers, Timeout: t.Timeout}
}

// normalize makes the etcd targets' files relative to the configuration file.
func (ts TargetsConfig) normalize(baseDir string) {
	for i := range ts.Etcd {
		t := &ts.Etcd[i]
		t.CAFile, t.CertFile, t.KeyFile = resolvePath(baseDir, t.CAFile), resolvePath(baseDir, t.CertFile), resolvePath(baseDir, t.KeyFile)
	}
}

// validate checks every target with its own package's rules, so check-config reports
// exactly what the target would refuse at start; warnings go to c.Warnings.
func (ts TargetsConfig) validate(p *collector, clusters []string, warn func(string)) {
	report := func(prefix string, problems []string) {
		for _, s := range problems {
			k, msg, ok := strings.Cut(s, ": ")
			if !ok {
				k, msg = "", s
			}
			p.add(field(prefix, k), "%s", msg)
		}
	}
	for i, t := range ts.Route53 {
		key := index("targets.route53", i)
		var probs, warns []string
		switch t.Mode {
		case "record":
			probs, warns = t.Record().Check(clusters)
		case "failover-records":
			probs, warns = t.Failover().Check(clusters)
		default:
			p.add(field(key, "mode"), "%q is not allowed, want record or failover-records", t.Mode)
			continue
		}
		report(key, probs)
		for _, w := range warns {
			warn(key + "." + w)
		}
	}
	for i, t := range ts.ELB {
		report(index("targets.elb", i), t.Route().Check(clusters))
	}
	for i, t := range ts.RFC2136 {
		report(index("targets.rfc2136", i), t.Route().Check(clusters))
	}
	for i, t := range ts.Etcd {
		report(index("targets.etcd", i), t.Route().Check())
		validatePeerTLS(p, index("targets.etcd", i), peerTLS{ca: t.CAFile, cert: t.CertFile, key: t.KeyFile, serverName: t.ServerName}, etcdCAWant)
	}
	for i, t := range ts.HAProxy {
		report(index("targets.haproxy", i), t.Route().Check(clusters))
	}
}

// PublishHealthConfig publishes esdr's verdict on each cluster as a CloudWatch metric
// (namespace esdr, metric ClusterHealthy, dimension Cluster; 1 up, 0 not), so that a
// CloudWatch-alarm-based Route 53 health check can follow what esdr sees from inside the
// VPC, with credentials Route 53's public checkers cannot send.
type PublishHealthConfig struct {
	CloudWatch bool          `yaml:"cloudwatch"`
	Interval   time.Duration `yaml:"interval"`
}

// DefaultPublishHealth publishes nothing; when enabled, every 30s (CloudWatch alarms
// evaluate per minute; an alarm with missing data goes to INSUFFICIENT_DATA).
func DefaultPublishHealth() PublishHealthConfig {
	return PublishHealthConfig{Interval: 30 * time.Second}
}

func (h PublishHealthConfig) validate(p *collector) {
	if h.CloudWatch && (h.Interval < 10*time.Second || h.Interval > time.Minute) {
		p.add("publish_health.interval", "%s is out of range, want 10s to 1m (CloudWatch alarms evaluate once a minute)", h.Interval)
	}
}
