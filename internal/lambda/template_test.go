package lambda

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	template    = "../../deploy/aws/esdr.yaml"
	elbTemplate = "../../deploy/aws/esdr-elb.yaml"
)

// TestTemplateLints runs cfn-lint (installed into .cache/moto by scripts/install.sh) on
// every CloudFormation template in deploy/aws: the function's and the load balancer's.
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
	templates, err := filepath.Glob("../../deploy/aws/*.yaml")
	if err != nil || !slices.Contains(templates, template) || !slices.Contains(templates, elbTemplate) {
		t.Fatalf("templates %q (%v), want %s and %s among them", templates, err, template, elbTemplate)
	}
	for _, tpl := range templates {
		if out, err := exec.Command(bin, tpl).CombinedOutput(); err != nil {
			t.Errorf("cfn-lint %s: %v\n%s", tpl, err, out)
		}
	}
}

// TestELBTemplateConfigValidates fills the targets block the load-balancer template
// outputs with sample ARNs and checks it the way esdr will, in both modes, so the
// template and the configuration schema cannot drift apart.
func TestELBTemplateConfigValidates(t *testing.T) {
	b, err := os.ReadFile(elbTemplate)
	if err != nil {
		t.Fatal(err)
	}
	_, output, found := strings.Cut(string(b), "EsdrTargetConfig:")
	_, block, ok := strings.Cut(output, "Value: !Sub |\n")
	if !found || !ok {
		t.Fatal("no EsdrTargetConfig output in the template")
	}
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if !strings.HasPrefix(l, "      ") {
			break
		}
		lines = append(lines, strings.TrimPrefix(l, "      "))
	}
	const arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
	for _, mode := range []string{"forward", "weights"} {
		params := map[string]string{"Listener": arn + "listener/net/s-es/50dc6c495c0c9188/f2f7dc8efc522ab2", "Mode": mode,
			"PrimaryTargetGroup": arn + "targetgroup/s-primary/73e2d6bc24d8a067", "StandbyTargetGroup": arn + "targetgroup/s-standby/83e2d6bc24d8a067"}
		targets := regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(strings.Join(lines, "\n"), func(m string) string {
			v, ok := params[m[2:len(m)-1]]
			if !ok {
				t.Errorf("template output refers to %s, which has no sample value here", m)
			}
			return v
		})
		yaml := strings.Replace(goodYAML, "targets:\n", targets+"\n", 1)
		c, err := FromEnv(env(map[string]string{EnvConfig: yaml, EnvAlarm: "stack-primary-health"}))
		if err != nil {
			t.Fatalf("%s: %v\n--- ESDR_CONFIG ---\n%s", mode, err, yaml)
		}
		if got := c.ESDR.Targets.ELB; len(got) != 1 || got[0].Mode != mode || got[0].TargetGroups["standby"] != params["StandbyTargetGroup"] {
			t.Errorf("%s: targets.elb %+v", mode, got)
		}
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
