package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigFixtures runs `esdr check-config` on every broken fixture of the config
// package and compares the problems it prints with the fixture's golden .err file, line
// for line: the messages are part of esdr's interface.
func TestCheckConfigFixtures(t *testing.T) {
	// The golden files name paths relative to the config package, and assume the
	// variables they reference are unset.
	t.Chdir("../../internal/config")
	for _, v := range []string{"ES_PASSWORD", "ESDR_ADMIN_TOKEN", "ES_API_KEY", "INTERVAL"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"check-config", "-c", f}, &stdout, &stderr); code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) < 2 || !strings.Contains(lines[0], "problem") {
				t.Fatalf("stderr does not start with a problem count:\n%s", stderr.String())
			}
			// Load resolves relative paths against the file's folder; compare relative.
			cwd, _ := os.Getwd()
			got := strings.ReplaceAll(strings.Join(lines[1:], "\n"), cwd+string(filepath.Separator), "")
			if got != strings.TrimRight(string(want), "\n") {
				t.Fatalf("messages differ\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestCheckConfigGoodAndUsage(t *testing.T) {
	t.Setenv("ESDR_ADMIN_TOKEN", "0123456789abcdef0123")
	t.Setenv("ES_PASSWORD", "secret-password")
	t.Setenv("ES_API_KEY", "key")
	files, _ := filepath.Glob("../../examples/*.yaml")
	for _, f := range files {
		var out, errb bytes.Buffer
		if code := run([]string{"check-config", "-c", f}, &out, &errb); code != exitOK {
			t.Errorf("%s: exit %d: %s", f, code, errb.String())
		}
		if strings.Contains(out.String()+errb.String(), "0123456789abcdef0123") {
			t.Errorf("%s: the token was printed", f)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"check-config"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "usage") {
		t.Fatalf("no -c: exit %d, %q", code, errb.String())
	}
	if code := run([]string{"check-config", "-c", "/nonexistent/esdr.yaml"}, &out, &errb); code != exitUsage {
		t.Fatalf("missing file: exit %d", code)
	}
	if code := run([]string{"no-such-command"}, &out, &errb); code != exitUsage {
		t.Fatalf("unknown command: exit %d", code)
	}
	errb.Reset()
	if run([]string{"help", "check-config"}, &out, &errb); !strings.Contains(errb.String(), "-c") || strings.Contains(errb.String(), "commands:") {
		t.Errorf("esdr help check-config prints:\n%s\nwant check-config's own flags", errb.String())
	}
}
