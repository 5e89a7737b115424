package route53

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch names of the published health metric. A CloudWatch alarm on
// esdr/ClusterHealthy{Cluster=...} < 1 backs a Route 53 health check of type
// CLOUDWATCH_METRIC, which then follows esdr's in-VPC verdict.
const (
	MetricNamespace = "esdr"
	MetricName      = "ClusterHealthy"
	MetricDimension = "Cluster"
)

// putMetricAPI is the part of the CloudWatch client Publisher uses.
type putMetricAPI interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Publisher publishes each cluster's health to CloudWatch, 1 healthy and 0 not.
type Publisher struct {
	cw  putMetricAPI
	now func() time.Time
}

// NewPublisher returns a publisher writing through cw (usually a *cloudwatch.Client,
// see NewClients); now stamps the data points, nil means time.Now.
func NewPublisher(cw putMetricAPI, now func() time.Time) *Publisher {
	if now == nil {
		now = time.Now
	}
	return &Publisher{cw: cw, now: now}
}

// Publish sends one data point per cluster in a single PutMetricData call. Publish it
// at least once a minute: an alarm with missing data goes to INSUFFICIENT_DATA, and the
// health check's insufficient-data status decides what Route 53 does then.
func (p *Publisher) Publish(ctx context.Context, healthy map[string]bool) error {
	ts := p.now()
	data := make([]cwtypes.MetricDatum, 0, len(healthy))
	for _, cl := range slices.Sorted(maps.Keys(healthy)) {
		v := 0.0
		if healthy[cl] {
			v = 1
		}
		data = append(data, cwtypes.MetricDatum{
			MetricName: aws.String(MetricName),
			Dimensions: []cwtypes.Dimension{{Name: aws.String(MetricDimension), Value: aws.String(cl)}},
			Timestamp:  aws.Time(ts), Value: aws.Float64(v), Unit: cwtypes.StandardUnitCount,
		})
	}
	if len(data) == 0 {
		return nil
	}
	_, err := p.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(MetricNamespace), MetricData: data})
	if err != nil {
		return fmt.Errorf("route53: publish %s/%s: %w", MetricNamespace, MetricName, err)
	}
	return nil
}
