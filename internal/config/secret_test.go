package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSecretsNeverPrinted: however a config is printed or logged, the secrets do not
// appear; Reveal is the only way to them.
func TestSecretsNeverPrinted(t *testing.T) {
	c := loadFull(t)
	c.Clusters[1].Auth.APIKey = "api-key-secret-value"
	secrets := []string{"changeme", "0123456789abcdef", "api-key-secret-value"}

	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("loaded", "config", c, "auth", c.Clusters[0].Auth, "token", c.Admin.Token)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String() + string(js) +
		fmt.Sprintf("%v %+v %#v %s", c, *c, *c, c.Admin.Token) +
		fmt.Sprintf("%+v", *c.Redacted())
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q printed:\n%s", s, out)
		}
	}
	if !strings.Contains(out, redacted) {
		t.Error("no <redacted> marker in the output")
	}
	if c.Admin.Token.Reveal() != "0123456789abcdef" {
		t.Error("Reveal lost the value")
	}
}

func TestRedacted(t *testing.T) {
	c := loadFull(t)
	r := c.Redacted()
	if r.Clusters[0].Auth.Password.Reveal() != redacted || r.Admin.Token.Reveal() != redacted {
		t.Errorf("Redacted kept a secret: %q %q", r.Clusters[0].Auth.Password.Reveal(), r.Admin.Token.Reveal())
	}
	if r.Clusters[0].Auth.APIKey != "" {
		t.Error("an unset secret became <redacted>")
	}
	if c.Admin.Token.Reveal() != "0123456789abcdef" {
		t.Error("Redacted changed the original")
	}
	r.Clusters[0].Nodes[0] = "changed"
	*r.Clusters[1].Health.Interval = 0
	if c.Clusters[0].Nodes[0] == "changed" || *c.Clusters[1].Health.Interval == 0 {
		t.Error("Redacted shares memory with the original")
	}
}

// TestProblemsNeverQuoteSecrets: mistakes around secrets are reported without the value.
func TestProblemsNeverQuoteSecrets(t *testing.T) {
	doc := `
clusters:
  - { name: a, nodes: [http://h1:9200], auth: s3cr3t-inline }
  - { name: b, nodes: [http://h2:9200], auth: { api_key: [s3cr3t-list] } }
admin: { token: s3cr3t }
`
	_, err := Parse([]byte(doc), "", nil)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v, want problems without the secret", err)
	}
}

// TestSecretValues finds every secret set in the tree, wherever it sits, longest first.
func TestSecretValues(t *testing.T) {
	c := loadFull(t)
	c.Hooks.Webhook = &WebhookConfig{URL: "https://hooks.example.com/T0/secret-path", Authorization: "Bearer hook-auth"}
	c.Fleet = &FleetConfig{}
	c.Fleet.Etcd.Password = "etcd-pw"
	got := c.SecretValues()
	want := []string{"https://hooks.example.com/T0/secret-path", "c2VjcmV0OmtleQ==", "0123456789abcdef", "fedcba9876543210",
		"Bearer hook-auth", "changeme", "etcd-pw"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("SecretValues = %q\nwant %q", got, want)
	}
}
