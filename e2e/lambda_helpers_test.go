package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/poll"
)

// rie is the emulator running one bootstrap; invoke one event at a time (a concurrent
// invoke crashes the emulator).
type rie struct {
	t    *testing.T
	url  string
	proc *child.Proc
}

func startRIE(t *testing.T, bin, boot string, env []string) *rie {
	t.Helper()
	port, apiPort := peers.FreePort(t), peers.FreePort(t)
	cmd := exec.Command(bin, "--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(port),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort), boot)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	r := &rie{t: t, url: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port)}
	r.proc = child.StartT(t, cmd, child.Options{})
	poll.Eventually(t, "aws-lambda-rie listening", 30*time.Second, func() bool {
		c, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			c.Body.Close()
		}
		return err == nil
	}, func() string { return r.proc.Output() })
	return r
}

// lambdaResult mirrors internal/lambda.Result as the invoker sees it.
type lambdaResult struct {
	Alarm struct {
		Shape string `json:"shape"`
	} `json:"alarm"`
	Action   string `json:"action"`
	Code     string `json:"code"`
	Reason   string `json:"reason"`
	To       string `json:"to"`
	Epoch    uint64 `json:"epoch"`
	Blocked  bool   `json:"blocked"`
	Switched bool   `json:"switched"`
	Steps    []string
}

// invoke sends one event; a handler error comes back as HTTP 200 with errorMessage.
func (r *rie) invoke(event string) (lambdaResult, string) {
	r.t.Helper()
	resp, err := http.Post(r.url, "application/json", strings.NewReader(event))
	if err != nil {
		r.t.Fatalf("invoke: %v\n%s", err, r.proc.Output())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &e)
	var res lambdaResult
	if e.ErrorMessage == "" {
		if err := json.Unmarshal(body, &res); err != nil {
			r.t.Fatalf("invoke: HTTP %d %q: %v", resp.StatusCode, body, err)
		}
	}
	return res, e.ErrorMessage
}

func alarmAction(name, state string) string {
	return fmt.Sprintf(`{"source":"aws.cloudwatch","alarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:%s",
"accountId":"123456789012","time":"2026-11-25T12:36:15.490+0000","region":"us-east-1",
"alarmData":{"alarmName":%q,"state":{"value":%q,"reason":"Threshold Crossed","timestamp":"2026-11-25T12:36:15.490+0000"},
"previousState":{"value":"OK","reason":"","timestamp":"2026-11-25T12:30:00.000+0000"},"configuration":{}}}`, name, name, state)
}

func eventBridgeAlarm(state string) string {
	return fmt.Sprintf(`{"version":"0","id":"c4c1c1c9-6542-e61b-6ef0-8c4d36933a92","detail-type":"CloudWatch Alarm State Change",
"source":"aws.cloudwatch","account":"123456789012","time":"2026-11-25T12:36:15Z","region":"us-east-1",
"resources":["arn:aws:cloudwatch:us-east-1:123456789012:alarm:%s"],
"detail":{"alarmName":%q,"state":{"value":%q,"reason":"Threshold Crossed","timestamp":"2026-11-25T12:36:15.490+0000"},
"previousState":{"value":"OK","reason":"","timestamp":"2026-11-25T12:30:00.000+0000"},"configuration":{}}}`, lambdaAlarm, lambdaAlarm, state)
}

// snsAlarm is the SNS shape: the alarm notification is a JSON document inside a string.
func snsAlarm(state string) string {
	msg, _ := json.Marshal(map[string]any{"AlarmName": lambdaAlarm, "NewStateValue": state, "OldStateValue": "OK",
		"NewStateReason": "Threshold Crossed", "StateChangeTime": "2026-11-25T12:36:15.490+0000", "Region": "US East (N. Virginia)",
		"AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + lambdaAlarm, "Trigger": map[string]any{
			"MetricName": "HealthCheckStatus", "Namespace": "AWS/Route53", "Statistic": "MINIMUM", "Period": 60,
			"EvaluationPeriods": 1, "ComparisonOperator": "LessThanThreshold", "Threshold": 1.0}})
	ev, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"EventSource": "aws:sns", "EventVersion": "1.0",
		"EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:esdr:1", "Sns": map[string]any{
			"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e", "TopicArn": "arn:aws:sns:us-east-1:123456789012:esdr",
			"Subject": "ALARM", "Message": string(msg), "Timestamp": "2026-11-25T12:36:15.490Z", "MessageAttributes": map[string]any{}}}}})
	return string(ev)
}

func pointAt(t *testing.T, rc *r53.Client, zone, value string) {
	t.Helper()
	changeRecord(t, rc, zone, r53types.ChangeActionUpsert, r53types.ResourceRecordSet{Name: aws.String("es.example.com."),
		Type: r53types.RRTypeCname, TTL: aws.Int64(30), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(value)}}})
}

func deleteTXT(t *testing.T, rc *r53.Client, zone, name, value string) {
	t.Helper()
	if value == "" {
		return
	}
	changeRecord(t, rc, zone, r53types.ChangeActionDelete, r53types.ResourceRecordSet{Name: aws.String(name),
		Type: r53types.RRTypeTxt, TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(value)}}})
}

func changeRecord(t *testing.T, rc *r53.Client, zone string, action r53types.ChangeAction, set r53types.ResourceRecordSet) {
	t.Helper()
	_, err := rc.ChangeResourceRecordSets(context.Background(), &r53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zone),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{Action: action, ResourceRecordSet: &set}}}})
	if err != nil {
		t.Fatal(err)
	}
}
