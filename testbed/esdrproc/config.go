package esdrproc

import (
	"fmt"
	"strings"
	"time"
)

// Pair describes a generated two-cluster configuration.
type Pair struct {
	Primary, Standby []string
	Interval         time.Duration // health.interval; the probe timeout equals it
	Threshold        int           // failure and success threshold
	Failback         string        // manual or auto
	Manual           bool          // failover.auto: false (esdr fails over only when told)
	HoldDown         time.Duration
	AdminAddr        string
	ProxyAddr        string // empty: no proxy
	StatePath        string // default state.db beside the config
	Extra            string // appended verbatim (further top-level YAML)
}

// YAML renders the configuration.
func (p Pair) YAML() string {
	if p.Interval == 0 {
		p.Interval = 500 * time.Millisecond
	}
	if p.Threshold == 0 {
		p.Threshold = 3
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
	s := fmt.Sprintf(`clusters:
  - name: primary
    nodes: [%s]
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
  failback: %s
state:
  path: %s
admin:
  listen: %s
  token: %s
`, strings.Join(p.Primary, ", "), strings.Join(p.Standby, ", "), p.Interval, p.Interval, p.Threshold, p.Threshold,
		!p.Manual, p.HoldDown, p.Failback, p.StatePath, p.AdminAddr, Token)
	if p.ProxyAddr != "" {
		s += fmt.Sprintf("proxy:\n  listen: %s\n", p.ProxyAddr)
	}
	return s + p.Extra
}
