// Command esdr-lambda is esdr's AWS Lambda function (runtime provided.al2023, built as
// `bootstrap`): it receives the CloudWatch alarm on the primary's health, by SNS,
// EventBridge or the alarm's own Lambda action, and fails over the Route 53 record (and
// any load-balancer listeners) with the same decision and plan code as `esdr run`. Configuration comes from the
// environment (see internal/lambda and docs/aws.md); logs are JSON on stdout for
// CloudWatch Logs.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/esdr/esdr/internal/lambda"
	"github.com/esdr/esdr/internal/route/elb"
	"github.com/esdr/esdr/internal/route/route53"
)

func main() { os.Exit(run()) }

func run() int {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := lambda.FromEnv(os.LookupEnv)
	if err != nil {
		log.Error("esdr-lambda: not started", "err", err)
		return 1
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.ESDR.Log.Level))
	log = slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	for _, w := range cfg.ESDR.Warnings {
		log.Warn("configuration", "warning", w)
	}
	a := cfg.ESDR.AWS
	ac := route53.AWSConfig{Region: a.Region, Profile: a.Profile, Route53Endpoint: a.Route53Endpoint}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	awsCfg, err := route53.LoadAWS(ctx, ac)
	cancel()
	if err != nil {
		log.Error("esdr-lambda: not started", "err", err)
		return 1
	}
	r53, _ := route53.NewClients(awsCfg, ac)
	elbClient := func(region string) *elbv2.Client { return elb.NewClient(awsCfg, region, a.ELBEndpoint) }
	h, err := lambda.New(cfg, lambda.Clients{Route53: r53, ELB: elbClient}, log)
	if err != nil {
		log.Error("esdr-lambda: not started", "err", err)
		return 1
	}
	log.Info("esdr-lambda ready", "alarm", cfg.Alarm, "confirm", cfg.Confirm, "clusters", cfg.ESDR.Policy().Clusters)
	awslambda.Start(raw{h})
	return 0
}

// raw hands the runtime's payload to the handler as it came, so that an event that is
// not even JSON gets the handler's own error ("lambda: unknown event: ...") and log line.
type raw struct{ h *lambda.Handler }

func (r raw) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := r.h.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}
