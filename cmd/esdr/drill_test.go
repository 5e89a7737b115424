package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestDrillFlags: a drill that cannot run as asked stops before anything and says why.
// The drill itself runs against the test bed in e2e/drill_test.go.
func TestDrillFlags(t *testing.T) {
	t.Setenv("ESDR_ENDPOINT", "")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown scenario", []string{"--scenario", "meteor", "--endpoint", "http://x"}, exitUsage, `--scenario "meteor": want switchover or fault`},
		{"fault without command", []string{"--scenario", "fault", "--endpoint", "http://x"}, exitUsage, "--fault-cmd: required for the fault scenario"},
		{"accepting an unknown code", []string{"--accept-finding", "live-masters-too-few,masters-too-fw", "--endpoint", "http://x"}, exitUsage,
			`--accept-finding "masters-too-fw": no such audit code; esdr audit --list-rules lists them`},
		{"accepting a warning", []string{"--accept-finding", "health-yellow", "--endpoint", "http://x"}, exitUsage,
			"--accept-finding health-yellow: a warning, which never stops a drill"},
		{"unreadable configuration", []string{"-c", "/nonexistent/esdr.yaml", "--endpoint", "http://x"}, exitUsage, "-c: config: open /nonexistent/esdr.yaml"},
		{"fault command on a switchover", []string{"--fault-cmd", "true", "--endpoint", "http://x"}, exitUsage, "apply to the fault scenario only"},
		{"no endpoint", nil, exitUsage, "--endpoint: required"},
		{"bad pacing", []string{"--endpoint", "http://x", "--workers", "0"}, exitUsage, "want positive values"},
		{"esdr unreachable", []string{"--endpoint", "http://127.0.0.1:1", "--addr", "http://127.0.0.1:1"}, exitFail,
			"preconditions failed; nothing was touched:\n  esdr's admin API answers: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"drill"}, c.args...), &stdout, &stderr); code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Fatalf("stderr lacks %q:\n%s", c.want, stderr.String())
			}
		})
	}

	t.Run("json report of a refused drill", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		run([]string{"drill", "--json", "--endpoint", "http://127.0.0.1:1", "--addr", "http://127.0.0.1:1"}, &stdout, &stderr)
		var rep struct {
			Preconditions []struct {
				Name string
				OK   bool
			}
		}
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Preconditions) != 1 || rep.Preconditions[0].OK {
			t.Fatalf("stdout %s (%v)", stdout.String(), err)
		}
	})
}
