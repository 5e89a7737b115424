package esdrproc

import (
	"fmt"
	"strings"
	"time"
)

// Pair describes a generated two-cluster configuration: the one the end-to-end tests, the
// benchmarks and the demo run esdr on, each varying only what it measures.
type Pair struct {
	Primary, Standby []string
	// PrimaryAuth is the primary's auth block as a YAML flow mapping, if any.
	PrimaryAuth string
	// PrimaryTLS is the primary's tls block as a YAML flow mapping, if any.
	PrimaryTLS       string
	Interval         time.Duration // health.interval; 500ms when zero
	Timeout          time.Duration // health.timeout; the interval when zero
	Threshold        int           // failure threshold; 3 when zero
	SuccessThreshold int           // success threshold; the failure threshold when zero
	Failback         string        // manual (when empty) or auto
	FailbackAfter    time.Duration // failover.failback_after; esdr's default when zero
	Manual           bool          // failover.auto: false (esdr fails over only when told)
	HoldDown         time.Duration // 1h when zero
	AdminAddr        string
	ProxyAddr        string // empty: no proxy
	StatePath        string // default state.db beside the config
	LogLevel         string // log.level; esdr's default when empty
	// Extra is appended verbatim: further top-level YAML, or, with a proxy, indented keys
	// that continue the proxy block (it is rendered last).
	Extra string
}

// YAML renders the configuration.
func (p Pair) YAML() string {
	if p.Interval == 0 {
		p.Interval = 500 * time.Millisecond
	}
	if p.Timeout == 0 {
		p.Timeout = p.Interval
	}
	if p.Threshold == 0 {
		p.Threshold = 3
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = p.Threshold
	}
	if p.Failback == "" {
		p.Failback = "manual"
	}
	if p.HoldDown == 0 {
		p.HoldDown = time.Hour
	}
	if p.StatePath == "" {
		p.StatePath = "state.db"
	}
	auth := ""
	if p.PrimaryAuth != "" {
		auth = "\n    auth: " + p.PrimaryAuth
	}
	if p.PrimaryTLS != "" {
		auth += "\n    tls: " + p.PrimaryTLS
	}
	failbackAfter := ""
	if p.FailbackAfter != 0 {
		failbackAfter = fmt.Sprintf("\n  failback_after: %s", p.FailbackAfter)
	}
	s := fmt.Sprintf(`clusters:
  - name: primary
    nodes: [%s]%s
  - name: standby
    nodes: [%s]
health:
  interval: %s
  timeout: %s
  failure_threshold: %d
  success_threshold: %d
failover:
  auto: %t
  hold_down: %s
  failback: %s%s
state:
  path: %s
admin:
  listen: %s
  token: %s
`, strings.Join(p.Primary, ", "), auth, strings.Join(p.Standby, ", "), p.Interval, p.Timeout, p.Threshold, p.SuccessThreshold,
		!p.Manual, p.HoldDown, p.Failback, failbackAfter, p.StatePath, p.AdminAddr, Token)
	if p.LogLevel != "" {
		s += fmt.Sprintf("log:\n  level: %s\n", p.LogLevel)
	}
	if p.ProxyAddr != "" {
		s += fmt.Sprintf("proxy:\n  listen: %s\n", p.ProxyAddr)
	}
	return s + p.Extra
}
