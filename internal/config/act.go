package config

import (
	"net/url"
	"os/exec"
	"regexp"
	"time"
)

// ActConfig bounds how plans of steps (fence, unfence, switch each target, notify) are
// retried. Zero values take the act package's defaults.
type ActConfig struct {
	StepAttempts    int           `yaml:"step_attempts"`
	StepTimeout     time.Duration `yaml:"step_timeout"`
	StepMaxDuration time.Duration `yaml:"step_max_duration"`
	BackoffInitial  time.Duration `yaml:"backoff_initial"`
	BackoffMax      time.Duration `yaml:"backoff_max"`
	// FenceTimeout bounds one attempt to fence the cluster traffic leaves (default 2s):
	// a hung cluster must not hold up the rest of the plan; its fence is deferred.
	FenceTimeout time.Duration `yaml:"fence_timeout"`
	// RetryInterval is how often deferred fences and failed plans are retried; 0 means
	// the health interval.
	RetryInterval time.Duration `yaml:"retry_interval"`
}

func (a ActConfig) validate(p *collector) {
	if a.StepAttempts < 0 || a.StepAttempts > 100 {
		p.add("act.step_attempts", "%d is out of range, want 0 (the default, 5) to 100", a.StepAttempts)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"act.step_timeout", a.StepTimeout}, {"act.step_max_duration", a.StepMaxDuration},
		{"act.backoff_initial", a.BackoffInitial}, {"act.backoff_max", a.BackoffMax}, {"act.retry_interval", a.RetryInterval},
		{"act.fence_timeout", a.FenceTimeout}} {
		if d.v < 0 || d.v > time.Hour {
			p.add(d.key, "%s is out of range, want 0 (the default) to 1h", d.v)
		}
	}
}

// HooksConfig are the operator's own programs around a transition.
type HooksConfig struct {
	// Pre runs before a transition is stored; a non-zero exit vetoes it.
	Pre *PreHookConfig `yaml:"pre"`
	// Webhook receives one JSON POST per transition.
	Webhook *WebhookConfig `yaml:"webhook"`
}

// PreHookConfig is a command run with ESDR_FROM, ESDR_TO, ESDR_EPOCH, ESDR_REASON,
// ESDR_ACTION and ESDR_CODE in its environment (argv, no shell).
type PreHookConfig struct {
	Command  []string      `yaml:"command"`
	Timeout  time.Duration `yaml:"timeout"`
	VetoHold time.Duration `yaml:"veto_hold"`
	// Env names the variables of esdr's environment the hook gets besides PATH, HOME,
	// LANG and TZ: nothing else of esdr's environment (ES_PASSWORD, ESDR_ADMIN_TOKEN)
	// reaches it.
	Env []string `yaml:"env"`
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// WebhookConfig is where transitions are announced. The URL is a secret: chat webhooks
// carry their token in it.
type WebhookConfig struct {
	URL           Secret        `yaml:"url"`
	Authorization Secret        `yaml:"authorization"`
	Timeout       time.Duration `yaml:"timeout"`
}

func (h HooksConfig) validate(p *collector) {
	if h.Pre != nil {
		switch {
		case len(h.Pre.Command) == 0:
			p.add("hooks.pre.command", "missing, want the program and its arguments as a list, such as [/usr/local/bin/check, --quick]")
		default:
			if _, err := exec.LookPath(h.Pre.Command[0]); err != nil {
				p.add("hooks.pre.command", "%q cannot be run (%v), want an executable path", h.Pre.Command[0], err)
			}
		}
		if h.Pre.Timeout < 0 || h.Pre.Timeout > 10*time.Minute {
			p.add("hooks.pre.timeout", "%s is out of range, want 0 (the default) to 10m", h.Pre.Timeout)
		}
		if h.Pre.VetoHold < 0 || h.Pre.VetoHold > time.Hour {
			p.add("hooks.pre.veto_hold", "%s is out of range, want 0 (the default, 1m) to 1h", fmtDuration(h.Pre.VetoHold))
		}
		for i, n := range h.Pre.Env {
			if !envName.MatchString(n) {
				p.add(index("hooks.pre.env", i), "%q is not a variable name, want a name such as SITE_ID (the hook gets its value from esdr's environment)", n)
			}
		}
	}
	if h.Webhook != nil {
		u, err := url.Parse(h.Webhook.URL.Reveal())
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("hooks.webhook.url", "%s is not an http(s) URL, want one such as https://hooks.example.com/esdr", h.Webhook.URL)
		}
		if h.Webhook.Timeout < 0 || h.Webhook.Timeout > time.Minute {
			p.add("hooks.webhook.timeout", "%s is out of range, want 0 (the default) to 1m", h.Webhook.Timeout)
		}
	}
}
