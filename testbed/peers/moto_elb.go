package peers

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// MotoELB is a load balancer made on moto for the elb target's tests: a listener whose
// default action forwards to the first cluster's target group.
type MotoELB struct {
	Client       *elbv2.Client
	LoadBalancer string
	Listener     string
	// TargetGroups maps each cluster name to its target group's ARN.
	TargetGroups map[string]string
}

// NewMotoELB makes, on the moto server at motoURL (region us-east-1), a load balancer of
// kind "application" (HTTP listener) or "network" (TCP listener) named name in moto's
// default VPC, one target group per cluster, and a listener forwarding to clusters[0]'s.
func NewMotoELB(ctx context.Context, motoURL, kind, name string, clusters []string) (MotoELB, error) {
	cli := elbv2.New(elbv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(motoURL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	vpc, subnets, err := motoSubnets(ctx, motoURL)
	if err != nil {
		return MotoELB{}, err
	}
	proto, port := types.ProtocolEnumHttp, int32(80)
	if kind == "network" {
		proto, port = types.ProtocolEnumTcp, 9200
	}
	lb, err := cli.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String(name), Subnets: subnets[:2],
		Type: types.LoadBalancerTypeEnum(kind), Scheme: types.LoadBalancerSchemeEnumInternal})
	if err != nil {
		return MotoELB{}, fmt.Errorf("peers: moto: create load balancer: %w", err)
	}
	m := MotoELB{Client: cli, LoadBalancer: aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), TargetGroups: map[string]string{}}
	for _, cl := range clusters {
		tg, err := cli.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(name + "-" + cl), Protocol: proto,
			Port: aws.Int32(9200), VpcId: aws.String(vpc), TargetType: types.TargetTypeEnumIp})
		if err != nil {
			return MotoELB{}, fmt.Errorf("peers: moto: create target group: %w", err)
		}
		m.TargetGroups[cl] = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	}
	l, err := cli.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: aws.String(m.LoadBalancer), Protocol: proto,
		Port: aws.Int32(port), DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward,
			TargetGroupArn: aws.String(m.TargetGroups[clusters[0]])}}})
	if err != nil {
		return MotoELB{}, fmt.Errorf("peers: moto: create listener: %w", err)
	}
	m.Listener = aws.ToString(l.Listeners[0].ListenerArn)
	return m, nil
}

// motoSubnets returns moto's default VPC in us-east-1 and its subnets, through the EC2
// query API (the SDK's EC2 module is not a dependency for this one call). moto routes
// by the credential scope of the Authorization header and does not check signatures.
func motoSubnets(ctx context.Context, motoURL string) (vpc string, subnets []string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, motoURL+"/", strings.NewReader("Action=DescribeSubnets&Version=2016-11-15"))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("peers: moto: describe subnets: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		Items []struct {
			ID  string `xml:"subnetId"`
			VPC string `xml:"vpcId"`
		} `xml:"subnetSet>item"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("peers: moto: describe subnets: %s: %v %.200s", resp.Status, err, body)
	}
	for _, it := range out.Items {
		if vpc == "" {
			vpc = it.VPC
		}
		if it.VPC == vpc {
			subnets = append(subnets, it.ID)
		}
	}
	if len(subnets) < 2 {
		return "", nil, fmt.Errorf("peers: moto: %d subnets in the default VPC, want 2 or more", len(subnets))
	}
	return vpc, subnets, nil
}
