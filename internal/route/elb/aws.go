package elb

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// NewClient returns an Elastic Load Balancing client for region (a target's
// Config.Region(): the listener's own, whatever aws.region says, which Route 53's
// global control plane needs), on endpoint when not empty (moto, VPC endpoints).
func NewClient(cfg aws.Config, region, endpoint string) *elbv2.Client {
	return elbv2.NewFromConfig(cfg, func(o *elbv2.Options) {
		if region != "" {
			o.Region = region
		}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}
