package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const auditFixtures = "../../internal/audit/testdata/files/"

// TestAuditExitCodes drives `esdr audit` on file fixtures and dead URLs: no cluster is
// started here (the live rules are tested on real nodes in internal/audit).
func TestAuditExitCodes(t *testing.T) {
	t.Setenv("HOSTNAME", "es-node-1.example.com")
	twoMasters, _ := filepath.Glob(auditFixtures + "two-masters/*.yml")
	dead := auditDeadURL(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{"seed: warnings only", []string{"--file", auditFixtures + "seed/elasticsearch.yml"}, exitOK, "initial-masters-set", ""},
		{"seed: fail on warning", []string{"--file", auditFixtures + "seed/elasticsearch.yml", "--fail-on", "warning"}, exitFail, "network-host-all-interfaces", ""},
		{"two masters", append([]string{"--file", twoMasters[0]}, "--file", twoMasters[1]), exitFail, "masters-too-few", ""},
		{"dead cluster", []string{"--url", dead, "--timeout", "1s"}, exitUsage, "cluster-unreachable", "no cluster could be reached"},
		{"dead pair", []string{"--primary", dead, "--standby", dead, "--timeout", "1s", "--format", "json"}, exitUsage, `"reached": false`, ""},
		{"list rules", []string{"--list-rules"}, exitOK, "`parity-template-missing`", ""},
		{"nothing", nil, exitUsage, "", "nothing to audit"},
		{"bad format", []string{"--url", dead, "--format", "xml"}, exitUsage, "", "--format"},
		{"bad fail-on", []string{"--url", dead, "--fail-on", "fatal"}, exitUsage, "", "--fail-on"},
		{"primary alone", []string{"--primary", dead}, exitUsage, "", "go together"},
		{"password env unset", []string{"--url", dead, "--user", "u", "--password-env", "ESDR_NO_SUCH_VAR"}, exitUsage, "", "ESDR_NO_SUCH_VAR"},
		{"credentials in a URL", []string{"--url", "http://u:pw-s3cret@127.0.0.1:1"}, exitUsage, "", `--url: node "http://u:xxxxx@127.0.0.1:1": give credentials with --user and --password-env`},
		{"not http", []string{"--url", "ftp://x"}, exitUsage, "", `--url: node "ftp://x": scheme must be http or https`},
		{"standby without a port", []string{"--primary", dead, "--standby", "http://h"}, exitUsage, "", `--standby: node "http://h": want host:port`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"audit"}, tc.args...), &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) ||
				strings.Contains(out.String()+errb.String(), "s3cret") {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
		})
	}
}

func TestAuditJSONAndConfig(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"audit", "--format", "json", "--file", auditFixtures + "misspelled/opensearch.yml"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var doc struct {
		Summary  map[string]int `json:"summary"`
		Findings []struct {
			Code, Severity, Subject string
			Evidence                []string
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 1 || doc.Findings[0].Code != "setting-unknown" || doc.Findings[0].Severity != "warning" ||
		doc.Summary["warning"] != 1 || !strings.Contains(doc.Findings[0].Evidence[0], "did you mean") {
		t.Errorf("json: %s", out.String())
	}

	// -c: the first cluster is the primary, the second the standby, with their names.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "esdr.yaml")
	// The admin token comes from a variable the auditor's shell lacks: audit needs none.
	t.Setenv("ESDR_AUDIT_TEST_UNSET_TOKEN", "")
	os.Unsetenv("ESDR_AUDIT_TEST_UNSET_TOKEN")
	yaml := "clusters:\n  - name: east\n    nodes: [" + auditDeadURL(t) + "]\n  - name: west\n    nodes: [" + auditDeadURL(t) + "]\nadmin:\n  token: ${ESDR_AUDIT_TEST_UNSET_TOKEN}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	code := run([]string{"audit", "-c", cfg, "--timeout", "1s"}, &out, &errb)
	if code != exitUsage || !strings.Contains(out.String(), "on:   primary east") || !strings.Contains(out.String(), "on:   standby west") {
		t.Errorf("-c: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if code := run([]string{"audit", "-c", cfg, "--primary", auditDeadURL(t), "--standby", auditDeadURL(t)}, &out, &errb); code != exitUsage {
		t.Errorf("-c with --primary: exit %d", code)
	}
}

func auditDeadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}
