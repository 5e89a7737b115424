package elb

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Modes of a target: how the listener's forward action sends traffic to the active
// cluster's target group.
const (
	// ModeForward forwards to the active cluster's target group alone; the others are
	// then attached to no listener, and AWS stops health-checking their targets.
	ModeForward = "forward"
	// ModeWeights forwards to every cluster's target group, weight 1 on the active one
	// and 0 on the others, with target-group stickiness off: every group stays attached
	// (and health-checked) and only the active one gets traffic.
	ModeWeights = "weights"
)

// maxWeighted is how many target groups one forward action may hold (ALB's limit).
const maxWeighted = 5

// Config is one load-balancer target in esdr's configuration (targets.elb[i]).
type Config struct {
	// ListenerARN is the ALB or NLB listener whose default action esdr owns.
	ListenerARN string
	// TargetGroups maps each cluster name to the ARN of the target group that holds its
	// nodes (or its coordinating nodes), in the listener's region and account.
	TargetGroups map[string]string
	// Mode is ModeForward (when empty) or ModeWeights.
	Mode string
}

const (
	listenerExample    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/es/50dc6c495c0c9188/f2f7dc8efc522ab2"
	targetGroupExample = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/es-primary/73e2d6bc24d8a067"
)

// Check returns the problems with c as "key: message" lines, keys relative to the
// target's block, for the config package to prefix and report with its own. clusters
// are the configured cluster names.
func (c Config) Check(clusters []string) []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	l, lerr := parseListener(c.ListenerARN)
	if lerr != nil {
		add("listener_arn: %q is not allowed, want the ARN of an ALB or NLB listener such as %s", c.ListenerARN, listenerExample)
	}
	switch c.Mode {
	case "", ModeForward:
	case ModeWeights:
		if len(clusters) > maxWeighted {
			add("mode: weights forwards to every cluster's target group, %d here; a forward action holds at most %d, want forward", len(clusters), maxWeighted)
		}
	default:
		add("mode: %q is not allowed, want forward or weights", c.Mode)
	}
	for _, cl := range clusters {
		if c.TargetGroups[cl] == "" {
			add("target_groups.%s: none, want the ARN of the target group holding cluster %s's nodes", cl, cl)
		}
	}
	seen := map[string]string{}
	for _, cl := range slices.Sorted(maps.Keys(c.TargetGroups)) {
		v := c.TargetGroups[cl]
		tg, err := parseTargetGroup(v)
		switch {
		case !slices.Contains(clusters, cl):
			add("target_groups.%s: unknown cluster, want one of %s", cl, strings.Join(clusters, ", "))
		case v == "":
		case err != nil:
			add("target_groups.%s: %q is not allowed, want a target group ARN such as %s", cl, v, targetGroupExample)
		case seen[v] != "":
			add("target_groups.%s: the target group of cluster %s too, want one target group per cluster", cl, seen[v])
		case lerr == nil && (tg.Region != l.Region || tg.AccountID != l.AccountID || tg.Partition != l.Partition):
			add("target_groups.%s: in %s/%s, want one in the listener's region and account (%s/%s)", cl, tg.Region, tg.AccountID, l.Region, l.AccountID)
		}
		seen[v] = cl
	}
	return ps
}

// Region is the listener's region, where the ELB client must call; "" when the ARN
// does not parse (Check reports it).
func (c Config) Region() string {
	l, err := parseListener(c.ListenerARN)
	if err != nil {
		return ""
	}
	return l.Region
}

// parseListener accepts an ALB or NLB listener ARN (listener/app/… or listener/net/…).
func parseListener(s string) (arn.ARN, error) {
	a, err := parseELB(s)
	if err != nil {
		return a, err
	}
	parts := strings.Split(a.Resource, "/")
	if len(parts) != 5 || parts[0] != "listener" || (parts[1] != "app" && parts[1] != "net") || slices.Contains(parts, "") {
		return a, fmt.Errorf("resource %q is not an ALB or NLB listener", a.Resource)
	}
	return a, nil
}

func parseTargetGroup(s string) (arn.ARN, error) {
	a, err := parseELB(s)
	if err != nil {
		return a, err
	}
	parts := strings.Split(a.Resource, "/")
	if len(parts) != 3 || parts[0] != "targetgroup" || slices.Contains(parts, "") {
		return a, fmt.Errorf("resource %q is not a target group", a.Resource)
	}
	return a, nil
}

func parseELB(s string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return a, err
	}
	if a.Service != "elasticloadbalancing" || a.Region == "" || a.AccountID == "" {
		return a, fmt.Errorf("%q is not an Elastic Load Balancing ARN with a region and an account", s)
	}
	return a, nil
}
