package elb

import (
	"slices"
	"testing"
)

const (
	testListener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/es/50dc6c495c0c9188/f2f7dc8efc522ab2"
	testEast     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/es-east/73e2d6bc24d8a067"
	testWest     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/es-west/83e2d6bc24d8a067"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want []string
	}{
		{"good", Config{ListenerARN: testListener, TargetGroups: map[string]string{"east": testEast, "west": testWest}}, nil},
		{"weights", Config{ListenerARN: testListener, Mode: "weights", TargetGroups: map[string]string{"east": testEast, "west": testWest}}, nil},
		{"not a listener", Config{ListenerARN: testEast, Mode: "round-robin", TargetGroups: map[string]string{"east": testEast, "west": testWest}}, []string{
			`listener_arn: "` + testEast + `" is not allowed, want the ARN of an ALB or NLB listener such as ` + listenerExample,
			`mode: "round-robin" is not allowed, want forward or weights`,
		}},
		{"gateway listener", Config{ListenerARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/gwy/g/1/2",
			TargetGroups: map[string]string{"east": testEast, "west": testWest}}, []string{
			`listener_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/gwy/g/1/2" is not allowed, want the ARN of an ALB or NLB listener such as ` + listenerExample,
		}},
		{"groups", Config{ListenerARN: testListener, TargetGroups: map[string]string{"east": testListener, "north": testWest,
			"west": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/es-west/83e2d6bc24d8a067"}}, []string{
			`target_groups.east: "` + testListener + `" is not allowed, want a target group ARN such as ` + targetGroupExample,
			"target_groups.north: unknown cluster, want one of east, west",
			"target_groups.west: in eu-west-1/123456789012, want one in the listener's region and account (us-east-1/123456789012)",
		}},
		{"missing and shared", Config{ListenerARN: testListener, TargetGroups: map[string]string{"east": testEast, "west": testEast}}, []string{
			"target_groups.west: the target group of cluster east too, want one target group per cluster",
		}},
		{"none", Config{ListenerARN: testListener}, []string{
			"target_groups.east: none, want the ARN of the target group holding cluster east's nodes",
			"target_groups.west: none, want the ARN of the target group holding cluster west's nodes",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Check(clusters); !slices.Equal(got, tc.want) {
				t.Errorf("Check:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
	if r := (Config{ListenerARN: testListener}).Region(); r != "us-east-1" {
		t.Errorf("Region = %q", r)
	}
}
