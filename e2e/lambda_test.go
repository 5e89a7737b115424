package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/esdr/esdr/testbed"
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
			// The OK alarm claims the primary is back: send it once the primary answers
			// again. A resumed JVM can take longer than the function's one probe allows.
			poll.Eventually(t, "the primary answering after SIGCONT", detectBound, func() bool {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_, err := primary.Health(ctx)
				return err == nil
			})
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
