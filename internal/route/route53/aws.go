package route53

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// AWSConfig is the shared AWS block of esdr's configuration (aws.*).
type AWSConfig struct {
	// Region for the SDK; Route 53 is global and its control plane is in us-east-1,
	// which is also where Route 53 health-check metrics and alarms live.
	Region string
	// Profile selects a shared-config profile; empty means the standard chain
	// (environment, shared files, web identity, container and instance roles).
	Profile string
	// Route53Endpoint and CloudWatchEndpoint override the service endpoints (tests,
	// moto, VPC endpoints). Empty means AWS's own.
	Route53Endpoint    string
	CloudWatchEndpoint string
	// CloudWatchJSON makes the CloudWatch client speak awsJson 1.0 instead of the SDK's
	// default Smithy RPC v2 CBOR. AWS serves both; emulators such as moto only the former.
	CloudWatchJSON bool
}

// LoadAWS resolves credentials from the standard AWS chain.
func LoadAWS(ctx context.Context, c AWSConfig) (aws.Config, error) {
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if c.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("route53: load AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewClients returns the Route 53 and CloudWatch clients for cfg, with c's endpoint
// overrides.
func NewClients(cfg aws.Config, c AWSConfig) (*r53.Client, *cloudwatch.Client) {
	rc := r53.NewFromConfig(cfg, func(o *r53.Options) {
		if c.Route53Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Route53Endpoint)
		}
	})
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if c.CloudWatchEndpoint != "" {
			o.BaseEndpoint = aws.String(c.CloudWatchEndpoint)
		}
		if c.CloudWatchJSON {
			o.Protocol = awsjson.New10(cwschemas.GraniteServiceVersion20100801)
		}
	})
	return rc, cw
}
