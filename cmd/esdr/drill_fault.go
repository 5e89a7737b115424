package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// testbedFault is a fault the test bed can put on a whole cluster, and its undoing.
type testbedFault struct {
	fault, recover string // testbed commands
}

// testbedFaults are the drill's presets (--fault): each breaks every node of one test-bed
// cluster the way a real outage would and undoes it after the load, so that the drill can
// verify the writes the broken cluster acknowledged. They are named here rather than left
// to --fault-cmd so that the three failure modes esdr must tell apart (a dead host, a hung
// one, an unreachable one) are one flag each and always come with their recovery.
var testbedFaults = map[string]testbedFault{
	"kill":      {"kill", "start"},     // SIGKILL every node; restart them on their data
	"hang":      {"pause", "resume"},   // SIGSTOP every node; SIGCONT
	"partition": {"partition", "heal"}, // its forwarder drops all traffic silently; passes it again
}

// faultFlags are the drill's test-bed preset flags.
type faultFlags struct {
	fault   string // kill, hang or partition ("": none)
	cluster string // the test-bed cluster to break
	bin     string // the testbed binary ("": beside esdr, else on PATH)
	dir     string // the test bed's state folder ("": testbed's own default)
}

// problems lists what is wrong with the preset flags together with the others: a preset
// replaces --fault-cmd and --recover-cmd and implies the fault scenario.
func (f faultFlags) problems(scenarioSet bool, scenario, faultCmd, recoverCmd string) []string {
	if f.fault == "" {
		if f.cluster != "" || f.bin != "" || f.dir != "" {
			return []string{"--testbed-cluster, --testbed and --testbed-dir apply to --fault only"}
		}
		return nil
	}
	var out []string
	if _, ok := testbedFaults[f.fault]; !ok {
		out = append(out, fmt.Sprintf("--fault %q: want kill, hang or partition", f.fault))
	}
	if f.cluster == "" {
		out = append(out, "--testbed-cluster: required with --fault, the test-bed cluster to break (as testbed status names it)")
	}
	if faultCmd != "" || recoverCmd != "" {
		out = append(out, "--fault and --fault-cmd/--recover-cmd: give one; --fault runs the test bed's own commands and their recovery")
	}
	if scenarioSet && scenario != "fault" {
		out = append(out, fmt.Sprintf("--fault runs the fault scenario: drop --scenario %s", scenario))
	}
	return out
}

// expand returns the shell commands that break and recover the cluster, with the testbed
// binary resolved. The partition preset needs the cluster behind a forwarder (testbed
// forward) that esdr and its clients go through; testbed partition says so if it is not.
func (f faultFlags) expand() (faultCmd, recoverCmd string, err error) {
	bin := f.bin
	if bin == "" {
		if bin, err = findTestbed(); err != nil {
			return "", "", err
		}
	}
	tf := testbedFaults[f.fault]
	cmd := func(verb string) string {
		parts := []string{shellQuote(bin), verb, "--cluster", shellQuote(f.cluster)}
		if f.dir != "" {
			parts = append(parts, "--dir", shellQuote(f.dir))
		}
		return strings.Join(parts, " ")
	}
	return cmd(tf.fault), cmd(tf.recover), nil
}

// findTestbed looks for the testbed binary beside esdr's (make build puts both in bin/),
// then on PATH.
func findTestbed() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "testbed")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("testbed"); err == nil {
		return p, nil
	}
	return "", errors.New("--fault: no testbed binary beside esdr or on PATH; run make build, or give --testbed PATH")
}

// shellQuote quotes s for sh -c, which runs the drill's fault and recover commands.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
