package route53

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestPublisherPublishesClusterHealth(t *testing.T) {
	url := startMoto(t)
	_, cw, _ := clients(t, url)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Minute)
	p := NewPublisher(cw, func() time.Time { return now })
	if err := p.Publish(ctx, map[string]bool{"east": false, "west": true}); err != nil {
		t.Fatal(err)
	}

	metrics, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(MetricNamespace), MetricName: aws.String(MetricName)})
	if err != nil {
		t.Fatal(err)
	}
	if len(metrics.Metrics) != 2 {
		t.Fatalf("%d metrics %s/%s, want one per cluster", len(metrics.Metrics), MetricNamespace, MetricName)
	}
	var queries []cwtypes.MetricDataQuery
	for i, cl := range []string{"east", "west"} {
		queries = append(queries, cwtypes.MetricDataQuery{Id: aws.String([]string{"e", "w"}[i]), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(MetricNamespace), MetricName: aws.String(MetricName),
				Dimensions: []cwtypes.Dimension{{Name: aws.String(MetricDimension), Value: aws.String(cl)}}},
			Period: aws.Int32(60), Stat: aws.String("Minimum"),
		}})
	}
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries, StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now.Add(time.Minute)),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		got[aws.ToString(r.Id)] = r.Values
	}
	if len(got["e"]) != 1 || got["e"][0] != 0 || len(got["w"]) != 1 || got["w"][0] != 1 {
		t.Fatalf("metric values %v, want east 0 and west 1", got)
	}
}
