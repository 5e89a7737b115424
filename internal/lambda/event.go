package lambda

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// ErrUnknownEvent is returned for a payload that is none of the three alarm shapes.
// Nothing is probed or changed for it.
var ErrUnknownEvent = errors.New("lambda: unknown event")

// maxEvent bounds the payload decoded; alarm events are a few kilobytes.
const maxEvent = 256 << 10

// Alarm states as CloudWatch names them.
const (
	StateAlarm        = "ALARM"
	StateOK           = "OK"
	StateInsufficient = "INSUFFICIENT_DATA"
)

// Alarm is what the function needs from any of the three event shapes.
type Alarm struct {
	// Shape is "sns", "eventbridge" or "alarm-action", for logs.
	Shape string `json:"shape"`
	Name  string `json:"name"`
	// State and Previous are ALARM, OK or INSUFFICIENT_DATA.
	State    string `json:"state"`
	Previous string `json:"previous,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// At is when the alarm changed state, zero when the event does not say.
	At time.Time `json:"at,omitzero"`
}

// alarmState is the state block of the EventBridge and alarm-action shapes.
type alarmState struct {
	Value     string `json:"value"`
	Reason    string `json:"reason"`
	Timestamp string `json:"timestamp"`
}

type alarmDetail struct {
	AlarmName     string     `json:"alarmName"`
	State         alarmState `json:"state"`
	PreviousState alarmState `json:"previousState"`
}

// probe holds the keys that tell the shapes apart.
type probe struct {
	Records    []json.RawMessage `json:"Records"`
	DetailType string            `json:"detail-type"`
	Source     string            `json:"source"`
	AlarmData  json.RawMessage   `json:"alarmData"`
}

// Decode recognizes the three ways a CloudWatch alarm reaches a Lambda function:
//
//   - SNS: an events.SNSEvent with one record whose Message is a JSON string holding an
//     events.CloudWatchAlarmSNSPayload;
//   - EventBridge: an events.CloudWatchEvent, detail-type "CloudWatch Alarm State Change";
//   - the alarm's own Lambda action: {"source":"aws.cloudwatch","alarmData":{...}}.
//
// Anything else is ErrUnknownEvent, with what was seen.
func Decode(raw []byte) (Alarm, error) {
	if len(raw) > maxEvent {
		return Alarm{}, fmt.Errorf("%w: %d bytes, more than the %d an alarm event takes", ErrUnknownEvent, len(raw), maxEvent)
	}
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return Alarm{}, fmt.Errorf("%w: not a JSON object: %v", ErrUnknownEvent, err)
	}
	var a Alarm
	var err error
	switch {
	case len(p.Records) > 0:
		a, err = decodeSNS(raw)
	case p.DetailType != "":
		a, err = decodeEventBridge(raw)
	case p.Source == "aws.cloudwatch" && len(p.AlarmData) > 0:
		a, err = decodeAction(p.AlarmData)
	default:
		return Alarm{}, fmt.Errorf("%w: want an SNS alarm notification, an EventBridge \"CloudWatch Alarm State Change\" or an alarm action payload", ErrUnknownEvent)
	}
	if err != nil {
		return Alarm{}, err
	}
	return a, a.check()
}

func decodeSNS(raw []byte) (Alarm, error) {
	var ev events.SNSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Alarm{}, fmt.Errorf("%w: SNS event: %v", ErrUnknownEvent, err)
	}
	if len(ev.Records) != 1 {
		return Alarm{}, fmt.Errorf("%w: SNS event with %d records, want 1", ErrUnknownEvent, len(ev.Records))
	}
	r := ev.Records[0]
	if r.EventSource != "aws:sns" {
		return Alarm{}, fmt.Errorf("%w: record from %q, want aws:sns", ErrUnknownEvent, r.EventSource)
	}
	var m events.CloudWatchAlarmSNSPayload
	dec := json.NewDecoder(bytes.NewReader([]byte(r.SNS.Message)))
	if err := dec.Decode(&m); err != nil {
		return Alarm{}, fmt.Errorf("%w: SNS message is not a CloudWatch alarm notification: %v", ErrUnknownEvent, err)
	}
	return Alarm{Shape: "sns", Name: m.AlarmName, State: m.NewStateValue, Previous: m.OldStateValue,
		Reason: m.NewStateReason, At: parseTime(m.StateChangeTime)}, nil
}

func decodeEventBridge(raw []byte) (Alarm, error) {
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Alarm{}, fmt.Errorf("%w: EventBridge event: %v", ErrUnknownEvent, err)
	}
	if ev.Source != "aws.cloudwatch" || ev.DetailType != "CloudWatch Alarm State Change" {
		return Alarm{}, fmt.Errorf("%w: EventBridge event %q from %q, want \"CloudWatch Alarm State Change\" from aws.cloudwatch",
			ErrUnknownEvent, ev.DetailType, ev.Source)
	}
	var d alarmDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return Alarm{}, fmt.Errorf("%w: EventBridge detail: %v", ErrUnknownEvent, err)
	}
	return fromDetail("eventbridge", d), nil
}

func decodeAction(data json.RawMessage) (Alarm, error) {
	var d alarmDetail
	if err := json.Unmarshal(data, &d); err != nil {
		return Alarm{}, fmt.Errorf("%w: alarmData: %v", ErrUnknownEvent, err)
	}
	return fromDetail("alarm-action", d), nil
}

func fromDetail(shape string, d alarmDetail) Alarm {
	return Alarm{Shape: shape, Name: d.AlarmName, State: d.State.Value, Previous: d.PreviousState.Value,
		Reason: d.State.Reason, At: parseTime(d.State.Timestamp)}
}

func (a Alarm) check() error {
	if a.Name == "" {
		return fmt.Errorf("%w: %s event without an alarm name", ErrUnknownEvent, a.Shape)
	}
	switch a.State {
	case StateAlarm, StateOK, StateInsufficient:
		return nil
	}
	return fmt.Errorf("%w: %s event for alarm %q with state %q, want ALARM, OK or INSUFFICIENT_DATA",
		ErrUnknownEvent, a.Shape, a.Name, truncate(a.State, 40))
}

// parseTime reads CloudWatch's timestamps ("2015-06-03T17:43:27.123+0000") and RFC 3339.
func parseTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
