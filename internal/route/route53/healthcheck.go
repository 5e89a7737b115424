package route53

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// HealthCheckConfig is how Route 53 probes each cluster in mode failover-records; the
// keys and ranges are Route 53's own, and match esdr's health block.
type HealthCheckConfig struct {
	// Protocol is HTTP or HTTPS (certificates are not validated by Route 53).
	Protocol string
	// Port defaults to 80 for HTTP and 443 for HTTPS.
	Port int32
	// Path is the request path, such as /_cluster/health.
	Path string
	// StringMatch, when set, must appear in the first 5,120 bytes of the body.
	StringMatch string
	// RequestInterval is 10 or 30 seconds; zero means 30.
	RequestInterval int32
	// FailureThreshold is 1 to 10 consecutive results, both ways; zero means 3.
	FailureThreshold int32
}

// healthAPI is the part of the Route 53 client the health checks need.
type healthAPI interface {
	CreateHealthCheck(ctx context.Context, in *r53.CreateHealthCheckInput, opts ...func(*r53.Options)) (*r53.CreateHealthCheckOutput, error)
	GetHealthCheck(ctx context.Context, in *r53.GetHealthCheckInput, opts ...func(*r53.Options)) (*r53.GetHealthCheckOutput, error)
	UpdateHealthCheck(ctx context.Context, in *r53.UpdateHealthCheckInput, opts ...func(*r53.Options)) (*r53.UpdateHealthCheckOutput, error)
	DeleteHealthCheck(ctx context.Context, in *r53.DeleteHealthCheckInput, opts ...func(*r53.Options)) (*r53.DeleteHealthCheckOutput, error)
}

// spec is the Route 53 health check config esdr wants for a cluster reached at host.
func (h HealthCheckConfig) spec(host string) types.HealthCheckConfig {
	typ := types.HealthCheckType(h.Protocol)
	if h.StringMatch != "" {
		typ += "_STR_MATCH"
	}
	c := types.HealthCheckConfig{
		Type: typ, Port: aws.Int32(h.Port), ResourcePath: aws.String(h.Path),
		RequestInterval: aws.Int32(h.RequestInterval), FailureThreshold: aws.Int32(h.FailureThreshold),
	}
	if h.StringMatch != "" {
		c.SearchString = aws.String(h.StringMatch)
	}
	if net.ParseIP(host) != nil {
		c.IPAddress = aws.String(host)
	} else {
		c.FullyQualifiedDomainName = aws.String(host)
	}
	return c
}

// diff lists how got differs from want, and whether any difference is in a field AWS
// cannot update (type and request interval), which needs a new health check.
func diff(want, got types.HealthCheckConfig) (drift []string, replace bool) {
	if want.Type != got.Type {
		drift, replace = append(drift, fmt.Sprintf("type %s, want %s", got.Type, want.Type)), true
	}
	if i, j := aws.ToInt32(got.RequestInterval), aws.ToInt32(want.RequestInterval); i != j {
		drift, replace = append(drift, fmt.Sprintf("request_interval %d, want %d", i, j)), true
	}
	for _, f := range []struct {
		name      string
		got, want string
	}{
		{"port", i32(got.Port), i32(want.Port)},
		{"path", aws.ToString(got.ResourcePath), aws.ToString(want.ResourcePath)},
		{"string_match", aws.ToString(got.SearchString), aws.ToString(want.SearchString)},
		{"failure_threshold", i32(got.FailureThreshold), i32(want.FailureThreshold)},
		{"ip_address", aws.ToString(got.IPAddress), aws.ToString(want.IPAddress)},
		{"host", aws.ToString(got.FullyQualifiedDomainName), aws.ToString(want.FullyQualifiedDomainName)},
		{"disabled", strconv.FormatBool(aws.ToBool(got.Disabled)), "false"},
		{"inverted", strconv.FormatBool(aws.ToBool(got.Inverted)), "false"},
	} {
		if f.got != f.want {
			drift = append(drift, fmt.Sprintf("%s %q, want %q", f.name, f.got, f.want))
		}
	}
	return drift, replace
}

func i32(p *int32) string { return strconv.Itoa(int(aws.ToInt32(p))) }

// createHealthCheck creates a health check for spec. The caller reference is derived
// from what the check is for, so a retry after a crash between creating the check and
// pointing the record at it gets the same check back instead of leaking a second one.
// AWS refuses a reference whose check was deleted; then a time-stamped one is used.
func createHealthCheck(ctx context.Context, api healthAPI, owner string, spec types.HealthCheckConfig) (string, error) {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%+v|%s|%s|%s|%d|%d|%s|%s", owner, spec.Type, i32(spec.Port),
		aws.ToString(spec.ResourcePath), aws.ToString(spec.SearchString), aws.ToInt32(spec.RequestInterval),
		aws.ToInt32(spec.FailureThreshold), aws.ToString(spec.IPAddress), aws.ToString(spec.FullyQualifiedDomainName)))
	ref := "esdr-" + hex.EncodeToString(sum[:16])
	out, err := api.CreateHealthCheck(ctx, &r53.CreateHealthCheckInput{CallerReference: aws.String(ref), HealthCheckConfig: &spec})
	if already := (*types.HealthCheckAlreadyExists)(nil); errors.As(err, &already) {
		ref += "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		out, err = api.CreateHealthCheck(ctx, &r53.CreateHealthCheckInput{CallerReference: aws.String(ref), HealthCheckConfig: &spec})
	}
	if err != nil {
		return "", fmt.Errorf("create health check for %s: %w", owner, err)
	}
	return aws.ToString(out.HealthCheck.Id), nil
}

// updateHealthCheck puts the updatable fields of spec back on check id.
func updateHealthCheck(ctx context.Context, api healthAPI, id string, version *int64, spec types.HealthCheckConfig) error {
	in := &r53.UpdateHealthCheckInput{
		HealthCheckId: &id, HealthCheckVersion: version, Port: spec.Port, ResourcePath: spec.ResourcePath,
		FailureThreshold: spec.FailureThreshold, IPAddress: spec.IPAddress,
		FullyQualifiedDomainName: spec.FullyQualifiedDomainName, SearchString: spec.SearchString,
		Disabled: aws.Bool(false), Inverted: aws.Bool(false),
	}
	if _, err := api.UpdateHealthCheck(ctx, in); err != nil {
		return fmt.Errorf("update health check %s: %w", id, err)
	}
	return nil
}
