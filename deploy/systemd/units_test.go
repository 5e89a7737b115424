// Package systemd holds esdr's systemd units; its test keeps them in step with the CLI
// (esdr run -c) and with the hardening the README promises.
package systemd

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// unit is a parsed unit file: section → key → values, in file order (a key may repeat).
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section := unit{}, ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		case section != "" && strings.Contains(line, "="):
			k, v, _ := strings.Cut(line, "=")
			u[section][k] = append(u[section][k], v)
		default:
			t.Fatalf("%s:%d: not a section, key=value or comment: %q", path, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one returns the single value of key in section, failing when it is missing or repeated.
func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	vs := u[section][key]
	if len(vs) != 1 {
		t.Fatalf("[%s] %s: %d values %q, want exactly one", section, key, len(vs), vs)
	}
	return vs[0]
}

func TestEsdrUnit(t *testing.T) {
	u := parseUnit(t, "esdr.service")
	if got := strings.Fields(u.one(t, "Service", "ExecStart")); !slices.Equal(got[1:], []string{"run", "-c", "/etc/esdr/esdr.yaml"}) ||
		filepath.Base(got[0]) != "esdr" {
		t.Errorf("ExecStart = %q, want esdr run -c /etc/esdr/esdr.yaml", got)
	}
	want := map[string]string{
		"Type":            "simple",
		"ExecReload":      "/bin/kill -HUP $MAINPID",
		"Restart":         "on-failure",
		"EnvironmentFile": "-/etc/esdr/esdr.env",
		"StateDirectory":  "esdr",
		"NoNewPrivileges": "yes",
		"ProtectSystem":   "strict",
		"ProtectHome":     "yes",
		"PrivateTmp":      "yes",
		"ReadWritePaths":  "/var/lib/esdr",
	}
	for k, v := range want {
		if got := u.one(t, "Service", k); got != v {
			t.Errorf("[Service] %s = %q, want %q", k, got, v)
		}
	}
	if user := u.one(t, "Service", "User"); user == "" || user == "root" {
		t.Errorf("User = %q, want a dedicated user", user)
	}
	u.one(t, "Service", "RestartSec")
	// The proxy holds two descriptors per proxied connection; 1024 would cap it near 500.
	if n, err := strconv.Atoi(u.one(t, "Service", "LimitNOFILE")); err != nil || n < 65536 {
		t.Errorf("LimitNOFILE = %d (%v), want at least 65536", n, err)
	}
}

// The example member's own name and peer URL must appear in the initial cluster of three,
// or it never joins.
func TestEtcdUnit(t *testing.T) {
	u := parseUnit(t, "etcd-esdr.service")
	env := map[string]string{}
	for _, kv := range u["Service"]["Environment"] {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	members := strings.Split(env["ETCD_INITIAL_CLUSTER"], ",")
	self := env["ETCD_NAME"] + "=" + env["ETCD_INITIAL_ADVERTISE_PEER_URLS"]
	if len(members) != 3 || !slices.Contains(members, self) {
		t.Errorf("ETCD_INITIAL_CLUSTER = %v, want three members including %s", members, self)
	}
	if env["ETCD_DATA_DIR"] != "/var/lib/"+u.one(t, "Service", "StateDirectory") {
		t.Errorf("ETCD_DATA_DIR = %q is not the unit's StateDirectory", env["ETCD_DATA_DIR"])
	}
}

// TestVerify runs systemd's own checker on both units. Their binaries are not installed on
// a build machine, so each ExecStart binary is replaced by one that exists (the test's).
func TestVerify(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"esdr.service", "etcd-esdr.service"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		prog := strings.Fields(parseUnit(t, name).one(t, "Service", "ExecStart"))[0]
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(raw), "ExecStart="+prog, "ExecStart="+self)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := exec.Command(bin, append([]string{"verify", "--man=no"}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// verify exits 0 on unknown keys and bad values ("..., ignoring"): any line about our
	// units is a failure. Lines about the host's own units are not ours to fix.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, dir) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}
