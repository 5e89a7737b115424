package lambda

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/esdr/esdr/internal/config"
)

// Environment variables the function reads. ESDR_CONFIG holds esdr's ordinary YAML
// configuration, so the Lambda validates it with exactly the rules and messages of
// `esdr check-config`; ${VAR} references inside it are expanded from the environment.
const (
	EnvConfig  = "ESDR_CONFIG"
	EnvAlarm   = "ESDR_ALARM_NAME"
	EnvConfirm = "ESDR_CONFIRM"
)

// Config is the function's configuration: esdr's own plus what only the Lambda needs.
type Config struct {
	// ESDR is the parsed, validated YAML of ESDR_CONFIG. clusters[0] is the primary.
	ESDR *config.Config
	// Alarm is the name of the CloudWatch alarm that watches the primary: its ALARM is
	// the observation "primary down", its OK "primary up". Events of other alarms are
	// refused.
	Alarm string
	// Confirm probes every cluster from inside the VPC (with the configured credentials)
	// before acting: a primary that answers healthy is not failed over, a standby that
	// does not is never a target. Off, the alarm is believed and the standbys are
	// assumed up. Default on.
	Confirm bool
}

// FromEnv builds the Config from the environment through lookup (os.LookupEnv). Every
// problem is reported at once, each naming its variable (or its YAML key inside
// ESDR_CONFIG) and what is allowed.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	c := Config{Confirm: true}

	if v, _ := lookup(EnvAlarm); strings.TrimSpace(v) == "" {
		add("%s: not set, want the name of the CloudWatch alarm on the primary's health", EnvAlarm)
	} else {
		c.Alarm = strings.TrimSpace(v)
	}
	if v, ok := lookup(EnvConfirm); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			add("%s: %q is not allowed, want true or false", EnvConfirm, v)
		}
		c.Confirm = b
	}
	raw, _ := lookup(EnvConfig)
	if strings.TrimSpace(raw) == "" {
		add("%s: not set, want esdr's YAML configuration (clusters, failover, targets.route53)", EnvConfig)
	} else {
		// Relative paths (a CA file shipped in the zip) are relative to the function's code.
		base, _ := lookup("LAMBDA_TASK_ROOT")
		if base == "" {
			base = "."
		}
		cfg, err := config.Parse([]byte(raw), base, lookup)
		var ps config.Problems
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				add("%s: %s", EnvConfig, p.String())
			}
		case err != nil:
			add("%s: %v", EnvConfig, err)
		default:
			c.ESDR = cfg
			for _, p := range lambdaProblems(cfg) {
				add("%s: %s", EnvConfig, p)
			}
		}
	}
	if len(problems) > 0 {
		return Config{}, fmt.Errorf("lambda: invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, nil
}

// lambdaProblems are the rules of this path on top of esdr's: one Route 53 record that
// the function owns (its marker lives beside it), load-balancer listeners if wanted, and
// nothing it cannot reach from a short-lived invocation.
func lambdaProblems(cfg *config.Config) []string {
	var ps []string
	t := cfg.Targets
	switch {
	case len(t.Route53) != 1:
		ps = append(ps, fmt.Sprintf("targets.route53: %d targets, want exactly 1 with mode record (the record this function owns)", len(t.Route53)))
	case t.Route53[0].Mode != "record":
		ps = append(ps, fmt.Sprintf("targets.route53[0].mode: %q is not allowed here, want record: with failover records Route 53 switches by itself and needs no function (see docs/aws.md)", t.Route53[0].Mode))
	}
	if len(t.RFC2136)+len(t.Etcd)+len(t.HAProxy) > 0 {
		ps = append(ps, "targets: only route53 and elb are switched by the Lambda; remove rfc2136, etcd and haproxy (run esdr itself for those)")
	}
	if cfg.Hooks.Pre != nil {
		ps = append(ps, "hooks.pre: not available in the Lambda (no shell commands on provided.al2023); remove it")
	}
	return ps
}
