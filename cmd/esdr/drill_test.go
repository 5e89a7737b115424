package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
		{"fault without command", []string{"--scenario", "fault", "--endpoint", "http://x"}, exitUsage, "--fault-cmd (or --fault on a test bed): required for the fault scenario"},
		{"unknown preset", []string{"--fault", "meteor", "--testbed-cluster", "primary", "--endpoint", "http://x"}, exitUsage, `--fault "meteor": want kill, hang or partition`},
		{"preset without a cluster", []string{"--fault", "kill", "--endpoint", "http://x"}, exitUsage, "--testbed-cluster: required with --fault"},
		{"preset and a fault command", []string{"--fault", "hang", "--testbed-cluster", "primary", "--recover-cmd", "true", "--endpoint", "http://x"}, exitUsage,
			"--fault and --fault-cmd/--recover-cmd: give one"},
		{"preset on a switchover", []string{"--scenario", "switchover", "--fault", "partition", "--testbed-cluster", "primary", "--endpoint", "http://x"}, exitUsage,
			"--fault runs the fault scenario: drop --scenario switchover"},
		{"test-bed flags without a preset", []string{"--testbed-cluster", "primary", "--endpoint", "http://x"}, exitUsage, "apply to --fault only"},
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

// TestDrillPresets: --fault expands to the test bed's commands and their recovery, quoted
// for the shell that runs them.
func TestDrillPresets(t *testing.T) {
	cases := []struct {
		fault, dir       string
		breaks, recovers string
	}{
		{"kill", "", "/opt/esdr/bin/testbed kill --cluster primary", "/opt/esdr/bin/testbed start --cluster primary"},
		{"hang", "", "/opt/esdr/bin/testbed pause --cluster primary", "/opt/esdr/bin/testbed resume --cluster primary"},
		{"partition", "/tmp/a bed", "/opt/esdr/bin/testbed partition --cluster primary --dir '/tmp/a bed'",
			"/opt/esdr/bin/testbed heal --cluster primary --dir '/tmp/a bed'"},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			f := faultFlags{fault: c.fault, cluster: "primary", bin: "/opt/esdr/bin/testbed", dir: c.dir}
			breaks, recovers, err := f.expand()
			if err != nil || breaks != c.breaks || recovers != c.recovers {
				t.Fatalf("expand = %q, %q, %v; want %q, %q", breaks, recovers, err, c.breaks, c.recovers)
			}
		})
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}

// TestDrillPresetRefusedTouchesNothing: a preset drill whose preconditions fail never
// runs the test bed's command. The testbed here is a script that leaves a mark.
func TestDrillPresetRefusedTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "ran")
	bin := filepath.Join(dir, "testbed")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho \"$@\" >> "+mark+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"drill", "--fault", "kill", "--testbed-cluster", "primary", "--testbed", bin,
		"--endpoint", "http://127.0.0.1:1", "--addr", "http://127.0.0.1:1"}, &stdout, &stderr)
	if code != exitFail || !strings.Contains(stderr.String(), "preconditions failed; nothing was touched") {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		b, _ := os.ReadFile(mark)
		t.Fatalf("the test bed's command ran: %s", b)
	}
}

// TestDrillAddrWithoutScheme: --addr host:port means for drill what it means for every
// other command — http://, or https:// with a TLS flag — for the API calls and for the
// /metrics the drill reads the proxy's retries from (which used to get the bare address
// and fail silently). Another scheme is refused naming the flag.
func TestDrillAddrWithoutScheme(t *testing.T) {
	t.Setenv("ESDR_ADDR", "")
	for _, v := range []string{"ESDR_CA_FILE", "ESDR_CERT", "ESDR_KEY"} {
		t.Setenv(v, "")
	}
	for _, c := range []struct {
		args    []string
		metrics string
	}{
		{[]string{"--addr", "127.0.0.1:9310"}, "http://127.0.0.1:9310/metrics"},
		{[]string{"--addr", "127.0.0.1:9310", "--ca-file", "ca.pem"}, "https://127.0.0.1:9310/metrics"},
		{[]string{"--addr", "https://esdr.internal:9310/"}, "https://esdr.internal:9310/metrics"},
		{nil, "http://127.0.0.1:9310/metrics"},
	} {
		o := newOpsFlags("drill", "", new(bytes.Buffer))
		if err := o.fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if got := o.metricsURL(); got != c.metrics {
			t.Errorf("%v: /metrics at %q, want %q", c.args, got, c.metrics)
		}
	}

	var stdout, stderr bytes.Buffer
	code := run([]string{"drill", "--endpoint", "http://127.0.0.1:1", "--addr", "127.0.0.1:1"}, &stdout, &stderr)
	if code != exitFail || !strings.Contains(stderr.String(), "esdr's admin API answers: ") {
		t.Fatalf("bare --addr: exit %d, want the precondition refused like an http:// one; stderr:\n%s", code, stderr.String())
	}
	stderr.Reset()
	code = run([]string{"drill", "--endpoint", "http://127.0.0.1:1", "--addr", "ftp://127.0.0.1:1"}, &stdout, &stderr)
	if want := `esdr drill: --addr/--timeout: address "ftp://127.0.0.1:1": want http:// or https://`; code != exitUsage || !strings.Contains(stderr.String(), want) {
		t.Fatalf("ftp --addr: exit %d, stderr:\n%s\nwant %q", code, stderr.String(), want)
	}
}
