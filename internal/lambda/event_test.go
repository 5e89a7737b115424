package lambda

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lambdaGoTestdata is aws-lambda-go's own events/testdata, from the module cache.
func lambdaGoTestdata(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		t.Fatalf("go list aws-lambda-go: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "events", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("aws-lambda-go fixtures: %v (run go mod download github.com/aws/aws-lambda-go)", err)
	}
	return dir
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeAWSLambdaGoSNSFixtures(t *testing.T) {
	dir := lambdaGoTestdata(t)
	for _, f := range []string{"cloudwatch-alarm-sns-payload-single-metric.json", "cloudwatch-alarm-sns-payload-multiple-metrics.json"} {
		t.Run(f, func(t *testing.T) {
			a, err := Decode(read(t, filepath.Join(dir, f)))
			if err != nil {
				t.Fatal(err)
			}
			if a.Shape != "sns" || a.Name != "EXAMPLE" || a.State != StateAlarm || a.Previous != StateInsufficient || a.At.IsZero() {
				t.Errorf("got %+v", a)
			}
		})
	}
	// An SNS event whose message is not an alarm (aws-lambda-go's plain SNS fixture).
	if _, err := Decode(read(t, filepath.Join(dir, "sns-event.json"))); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("sns-event.json: err = %v, want ErrUnknownEvent", err)
	}
}

func TestDecodeShapes(t *testing.T) {
	for _, tc := range []struct{ file, shape, prev string }{
		{"eventbridge-alarm.json", "eventbridge", StateOK},
		{"alarm-action.json", "alarm-action", StateInsufficient},
	} {
		a, err := Decode(read(t, filepath.Join("testdata", tc.file)))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if a.Shape != tc.shape || a.Name != "esdr-primary-health" || a.State != StateAlarm || a.Previous != tc.prev || a.At.IsZero() {
			t.Errorf("%s: got %+v", tc.file, a)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, ev := range map[string]string{
		"not json":          `{"Records": [`,
		"array":             `[1,2]`,
		"empty object":      `{}`,
		"s3 event":          `{"Records":[{"eventSource":"aws:s3","s3":{}}]}`,
		"sns not an alarm":  `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"hello"}}]}`,
		"two sns records":   `{"Records":[{"EventSource":"aws:sns","Sns":{}},{"EventSource":"aws:sns","Sns":{}}]}`,
		"ec2 state change":  `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`,
		"alarm state bogus": `{"source":"aws.cloudwatch","alarmData":{"alarmName":"a","state":{"value":"RED"}}}`,
		"alarm no name":     `{"source":"aws.cloudwatch","alarmData":{"state":{"value":"ALARM"}}}`,
		"string":            `"ALARM"`,
	} {
		if a, err := Decode([]byte(ev)); !errors.Is(err, ErrUnknownEvent) {
			t.Errorf("%s: got %+v, %v; want ErrUnknownEvent", name, a, err)
		}
	}
	if _, err := Decode([]byte(`{"x":"` + strings.Repeat("a", maxEvent) + `"}`)); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("oversized event: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2015, 6, 3, 17, 43, 27, 123e6, time.UTC)
	if got := parseTime("2015-06-03T17:43:27.123+0000"); !got.Equal(want) {
		t.Errorf("got %v", got)
	}
	if !parseTime("yesterday").IsZero() {
		t.Error("garbage parsed")
	}
}
