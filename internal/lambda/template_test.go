package lambda

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const template = "../../deploy/aws/esdr.yaml"

// TestTemplateLints runs cfn-lint (installed into .cache/moto by scripts/install.sh) on
// the CloudFormation template.
func TestTemplateLints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cfn-lint")
	}
	dir := os.Getenv("ESDR_MOTO_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", ".cache", "moto")
	}
	bin := filepath.Join(dir, "bin", "cfn-lint")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("cfn-lint not found at %s; run scripts/install.sh", bin)
	}
	if out, err := exec.Command(bin, template).CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint %s: %v\n%s", template, err, out)
	}
}

// TestTemplateConfigValidates substitutes sample parameters into the ESDR_CONFIG the
// template gives the function and checks it the way the function will, so the template
// and the configuration schema cannot drift apart.
func TestTemplateConfigValidates(t *testing.T) {
	b, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if strings.Contains(text, "SearchString") || strings.Contains(text, `"status":"green"`) {
		t.Error("the template uses a string-matching health check; esdr's checks parse the JSON")
	}
	_, block, ok := strings.Cut(text, "ESDR_CONFIG: !Sub |\n")
	if !ok {
		t.Fatal("no ESDR_CONFIG block in the template")
	}
	var lines []string
	indent := ""
	for _, l := range strings.Split(block, "\n") {
		if indent == "" {
			indent = l[:len(l)-len(strings.TrimLeft(l, " "))]
		}
		if !strings.HasPrefix(l, indent) {
			break
		}
		lines = append(lines, strings.TrimPrefix(l, indent))
	}
	params := map[string]string{"PrimaryNodes": "https://10.0.1.10:9200, https://10.0.1.11:9200", "StandbyNodes": "https://10.0.2.10:9200",
		"HoldDown": "1h", "Failback": "manual", "HostedZoneId": "Z0123456789ABCDEFGHIJ", "RecordName": "es.example.com",
		"RecordType": "CNAME", "RecordTTL": "30", "PrimaryValue": "primary.example.net", "StandbyValue": "standby.example.net"}
	yaml := regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(strings.Join(lines, "\n"), func(m string) string {
		v, ok := params[m[2:len(m)-1]]
		if !ok {
			t.Errorf("template parameter %s has no sample value here", m)
		}
		return v
	})
	c, err := FromEnv(env(map[string]string{EnvConfig: yaml, EnvAlarm: "stack-primary-health"}))
	if err != nil {
		t.Fatalf("%v\n--- ESDR_CONFIG ---\n%s", err, yaml)
	}
	if got := c.ESDR.Policy().Clusters; len(got) != 2 || got[0] != "primary" {
		t.Errorf("clusters %v", got)
	}
}
