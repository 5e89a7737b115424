package lambda

import (
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

const goodYAML = `admin: {listen: ""}
metrics: {enabled: false}
clusters:
  - {name: primary, nodes: ["http://10.0.1.10:9200"]}
  - {name: standby, nodes: ["http://10.0.2.10:9200"]}
targets:
  route53:
    - mode: record
      hosted_zone_id: Z0123456789ABCDEFGHIJ
      name: es.example.com
      type: CNAME
      ttl: 30
      values: {primary: [primary.example.net], standby: [standby.example.net]}
`

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFromEnv(t *testing.T) {
	c, err := FromEnv(env(map[string]string{EnvConfig: goodYAML, EnvAlarm: "esdr-primary-health"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Confirm || c.Alarm != "esdr-primary-health" || c.ESDR.Policy().Preferred() != "primary" {
		t.Errorf("got %+v", c)
	}
}

// The YAML inside ESDR_CONFIG gets esdr's own validation messages, prefixed by the
// variable; the Lambda's own variables and rules are checked beside them, all at once.
func TestFromEnvProblems(t *testing.T) {
	bad := strings.Replace(goodYAML, "ttl: 30", "ttl: -5", 1) + "  haproxy:\n    - {socket: /run/h.sock, backend: es, servers: {primary: [a], standby: [b]}}\n"
	_, err := FromEnv(env(map[string]string{EnvConfig: bad, EnvConfirm: "maybe"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"ESDR_ALARM_NAME: not set, want the name of the CloudWatch alarm",
		`ESDR_CONFIRM: "maybe" is not allowed, want true or false`,
		"ESDR_CONFIG: targets.route53[0].ttl: -5 is out of range",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	_, err = FromEnv(env(map[string]string{EnvConfig: goodYAML + "  haproxy:\n    - {socket: /run/h.sock, backend: es, servers: {primary: [a], standby: [b]}}\n", EnvAlarm: "a"}))
	if err == nil || !strings.Contains(err.Error(), "ESDR_CONFIG: targets: only route53 and elb are switched by the Lambda") {
		t.Errorf("haproxy target: %v", err)
	}
	_, err = FromEnv(env(map[string]string{EnvAlarm: "a"}))
	if err == nil || !strings.Contains(err.Error(), "ESDR_CONFIG: not set") {
		t.Errorf("no config: %v", err)
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	s := decide.State{Active: "standby", Epoch: 7, HoldDownUntil: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, err := parseMarker(`"` + formatMarker(s) + `"`)
	if err != nil || got.Active != s.Active || got.Epoch != s.Epoch || !got.HoldDownUntil.Equal(s.HoldDownUntil) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, bad := range []string{`"v=spf1 -all"`, `"esdr epoch=x active=a"`, `"esdr active=a"`, `""`} {
		if _, err := parseMarker(bad); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}
