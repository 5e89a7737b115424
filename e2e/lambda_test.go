package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/poll"
)

const lambdaAlarm = "esdr-primary-health"

// TestLambdaUnderRIE runs cmd/esdr-lambda, built as the Lambda's bootstrap, under the AWS
// Lambda Runtime Interface Emulator, with Route 53 on moto and two real one-node
// clusters. For each of the three event shapes: an ALARM with the primary down switches
// the record once, the same event again changes nothing, an OK leaves the record on the
// standby (manual failback). Malformed and unknown events are errors that change
// nothing, and a standby that is down blocks the switch with the reason.
func TestLambdaUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clusters, moto and the Lambda emulator")
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	rieBin := filepath.Join(root, ".cache", "bin", "aws-lambda-rie")
	if _, err := os.Stat(rieBin); err != nil {
		t.Fatalf("aws-lambda-rie not found at %s; run scripts/install.sh", rieBin)
	}
	motoURL := peers.Moto(t, root)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	zone := createZone(t, motoURL)
	rc := route53Client(motoURL)
	pointAt(t, rc, zone, "primary.example.net.")

	primary := testbed.StartForTest(t, testbed.Spec{Engine: "opensearch2", Cluster: "lambda-p", Nodes: 1})
	standby := testbed.StartForTest(t, testbed.Spec{Engine: "opensearch2", Cluster: "lambda-s", Nodes: 1})
	t.Cleanup(func() { _ = primary.Resume(); _ = standby.Resume() })

	boot := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", boot, "./cmd/esdr-lambda")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	cfg := fmt.Sprintf(`admin: {listen: ""}
metrics: {enabled: false}
log: {level: info, format: json}
clusters:
  - {name: primary, nodes: [%q]}
  - {name: standby, nodes: [%q]}
health: {interval: 2s, timeout: 1s}
act: {fence_timeout: 1s, step_timeout: 5s, step_attempts: 2}
aws: {region: us-east-1, route53_endpoint: %q}
targets:
  route53:
    - mode: record
      hosted_zone_id: %s
      name: es.example.com
      type: CNAME
      ttl: 30
      values: {primary: [primary.example.net], standby: [standby.example.net]}
`, primary.Nodes[0].URL(), standby.Nodes[0].URL(), motoURL, zone)
	fn := startRIE(t, rieBin, boot, []string{"ESDR_CONFIG=" + cfg, "ESDR_ALARM_NAME=" + lambdaAlarm,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1"})

	record := func() string { return recordValue(t, motoURL, zone, "es.example.com.", r53types.RRTypeCname) }
	marker := func() string { return recordValue(t, motoURL, zone, "_esdr.es.example.com.", r53types.RRTypeTxt) }

	// Malformed and unknown events: an error, nothing read from the clusters, nothing changed.
	for name, ev := range map[string]string{
		"not json":         `{"Records": [`,
		"empty object":     `{}`,
		"s3 event":         `{"Records":[{"eventSource":"aws:s3","s3":{}}]}`,
		"sns not an alarm": `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"hello"}}]}`,
		"ec2 state change": `{"version":"0","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`,
		"another alarm":    alarmAction("someone-elses-alarm", "ALARM"),
		"unknown state":    alarmAction(lambdaAlarm, "RED"),
	} {
		if res, msg := fn.invoke(ev); msg == "" {
			t.Errorf("%s: no error, result %v", name, res)
		} else {
			t.Logf("%s: %s", name, msg)
		}
	}
	if got := record(); got != "primary.example.net." || marker() != "" {
		t.Fatalf("after refused events: record %q, marker %q; want primary.example.net. and none", got, marker())
	}

	// An ALARM the probe from inside the VPC does not confirm: the primary answers healthy.
	res, msg := fn.invoke(alarmAction(lambdaAlarm, "ALARM"))
	if msg != "" || res.Switched || res.Code != "active-healthy" || !strings.Contains(res.Reason, "active primary healthy") {
		t.Fatalf("unconfirmed ALARM: result %+v, error %q; want no action", res, msg)
	}
	if got := record(); got != "primary.example.net." || marker() != "" {
		t.Fatalf("after an unconfirmed ALARM: record %q, marker %q", got, marker())
	}

	// The primary goes away (a hang: probes and the fence time out).
	if err := primary.Pause(); err != nil {
		t.Fatal(err)
	}
	// Standby down too: blocked, with the reason, nothing changed.
	if err := standby.Pause(); err != nil {
		t.Fatal(err)
	}
	res, msg = fn.invoke(alarmAction(lambdaAlarm, "ALARM"))
	if msg != "" || res.Blocked != true || res.Switched || !strings.Contains(res.Reason, "every cluster is down") {
		t.Fatalf("standby down: result %+v, error %q; want blocked with the reason", res, msg)
	}
	t.Logf("standby down: %s: %s", res.Code, res.Reason)
	if got := record(); got != "primary.example.net." || marker() != "" {
		t.Fatalf("after a blocked switch: record %q, marker %q", got, marker())
	}
	if err := standby.Resume(); err != nil {
		t.Fatal(err)
	}

	for _, shape := range []struct {
		name  string
		event func(state string) string
	}{
		{"sns", snsAlarm},
		{"eventbridge", eventBridgeAlarm},
		{"alarm-action", func(s string) string { return alarmAction(lambdaAlarm, s) }},
	} {
		t.Run(shape.name, func(t *testing.T) {
			res, msg := fn.invoke(shape.event("ALARM"))
			if msg != "" || !res.Switched || res.To != "standby" || res.Epoch != 2 || res.Alarm.Shape != shape.name {
				t.Fatalf("ALARM: result %+v, error %q; want a switch to standby at epoch 2", res, msg)
			}
			t.Logf("ALARM: %s; steps %v", res.Reason, res.Steps)
			if got := record(); got != "standby.example.net." {
				t.Fatalf("after ALARM: record %q, want standby.example.net.", got)
			}
			if m := marker(); !strings.Contains(m, "epoch=2 active=standby") {
				t.Fatalf("after ALARM: marker %q", m)
			}

			res, msg = fn.invoke(shape.event("ALARM"))
			if msg != "" || res.Switched || res.Action != "none" || res.Epoch != 2 {
				t.Fatalf("duplicate ALARM: result %+v, error %q; want no action", res, msg)
			}
			if got, m := record(), marker(); got != "standby.example.net." || !strings.Contains(m, "epoch=2 active=standby") {
				t.Fatalf("after duplicate: record %q, marker %q", got, m)
			}

			if err := primary.Resume(); err != nil {
				t.Fatal(err)
			}
			res, msg = fn.invoke(shape.event("OK"))
			if msg != "" || res.Switched || res.Code != "failback-ready" {
				t.Fatalf("OK: result %+v, error %q; want failback-ready and no change", res, msg)
			}
			t.Logf("OK: %s", res.Reason)
			if got := record(); got != "standby.example.net." {
				t.Fatalf("after OK: record %q, want it left on standby.example.net.", got)
			}
			if err := primary.Pause(); err != nil {
				t.Fatal(err)
			}

			// An operator's failback, so the next shape starts where this one did.
			pointAt(t, rc, zone, "primary.example.net.")
			deleteTXT(t, rc, zone, "_esdr.es.example.com.", marker())
		})
	}
	// Every invocation left one structured JSON log line for CloudWatch Logs.
	handled := 0
	for _, line := range strings.Split(fn.proc.Output(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && (l["msg"] == "handled" || l["msg"] == "event refused") {
			handled++
		}
	}
	if want := 7 + 2 + 3*3; handled != want {
		t.Errorf("%d JSON log lines for handled or refused events, want %d", handled, want)
	}
	if t.Failed() {
		t.Logf("function output:\n%s", fn.proc.Output())
	}
}

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
