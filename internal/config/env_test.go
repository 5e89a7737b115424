package config

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	env := testEnv(map[string]string{"A": "alpha", "EMPTY": "", "MULTI": "x\ny: z"})
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{name: "plain", in: "no variables", want: "no variables"},
		{name: "set", in: "${A}", want: "alpha"},
		{name: "embedded", in: "pre-${A}-post", want: "pre-alpha-post"},
		{name: "twice", in: "${A}${A}", want: "alphaalpha"},
		{name: "default unused", in: "${A:-d}", want: "alpha"},
		{name: "default unset", in: "${NOPE:-d}", want: "d"},
		{name: "default empty", in: "${EMPTY:-d}", want: "d"},
		{name: "default with colon", in: "${NOPE:-http://h:9200}", want: "http://h:9200"},
		{name: "empty set", in: "${EMPTY}", want: ""},
		{name: "lone dollar", in: "pa$$w$rd", want: "pa$$w$rd"},
		{name: "escaped", in: "$${A}", want: "${A}"},
		{name: "not re-expanded", in: "${MULTI}", want: "x\ny: z"},
		{name: "unset", in: "${NOPE}", err: "environment variable NOPE is not set"},
		{name: "unclosed", in: "x${A", err: `"${A" has no closing }`},
		{name: "bad name", in: "${A-B}", err: `"${A-B}" is not a variable reference`},
		{name: "empty name", in: "${}", err: "is not a variable reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(tc.in, env, false)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("expand(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestExpandSecretErrors: an error about a secret never quotes the secret's text.
func TestExpandSecretErrors(t *testing.T) {
	for _, in := range []string{"hunter2${x", "hunter2${1x}"} {
		_, err := expand(in, nil, true)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("expand(%q) error = %v; want an error without the value", in, err)
		}
	}
}

// TestEnvCannotInjectYAML: a variable holding YAML stays one value; it cannot add keys,
// list items or change the document's structure.
func TestEnvCannotInjectYAML(t *testing.T) {
	doc := `
clusters:
  - name: primary
    nodes: [http://127.0.0.1:9200]
    auth: { username: elastic, password: "${ES_PASSWORD}" }
  - name: standby
    nodes: [http://127.0.0.1:9201]
admin: { token: "${ESDR_ADMIN_TOKEN}" }
`
	evil := "x\n  - name: evil\n    nodes: [http://attacker:9200]\nfailover: {auto: false}"
	c, err := Parse([]byte(doc), "", testEnv(map[string]string{"ES_PASSWORD": evil, "ESDR_ADMIN_TOKEN": "0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Clusters) != 2 || !c.Failover.Auto || c.Clusters[0].Auth.Password.Reveal() != evil {
		t.Fatalf("environment changed the structure: %d clusters, auto=%v", len(c.Clusters), c.Failover.Auto)
	}
}

// TestEnvNumbers: thresholds and durations may come from the environment, since
// expansion happens before conversion.
func TestEnvNumbers(t *testing.T) {
	doc := `
clusters:
  - { name: a, nodes: ["${A_URL}"] }
  - { name: b, nodes: ["${B_URL:-http://127.0.0.1:9201}"] }
health: { interval: "${INTERVAL:-2s}", failure_threshold: "${FAILS}" }
failover: { auto: "${AUTO:-false}" }
admin: { listen: "" }
metrics: { enabled: false }
`
	c, err := Parse([]byte(doc), "", testEnv(map[string]string{"A_URL": "http://127.0.0.1:9200", "FAILS": "7"}))
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Health; h.Interval.String() != "2s" || h.FailureThreshold != 7 || c.Failover.Auto {
		t.Fatalf("got interval %v, failure threshold %d, auto %v", h.Interval, h.FailureThreshold, c.Failover.Auto)
	}
	if c.Clusters[1].Nodes[0] != "http://127.0.0.1:9201" {
		t.Fatalf("default not applied: %q", c.Clusters[1].Nodes[0])
	}
}
