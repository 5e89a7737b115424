package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/child"
)

// TestPerlClient runs the Perl module's own tests (prove -r clients/perl/t) against a real
// esdr and the real OpenSearch 2 test bed, and kills the primary when 30-failover.t asks.
// The .t files skip without the ESDR_TEST_* variables; here none may skip.
func TestPerlClient(t *testing.T) {
	needTools(t, "prove", "perl")
	root := repoRoot(t)
	p := clusters(t, "opensearch2")
	for _, c := range []*testbed.Cluster{p.primary, p.standby} {
		if _, _, err := esOf(t, c).Do(context.Background(), http.MethodDelete, "/esdr-perl-t", nil); err != nil {
			t.Fatal(err)
		}
	}
	s := defaults()
	s.proxy = true
	e := startSettled(t, p, s)

	signals := t.TempDir()
	cmd := exec.Command("prove", "-v", "--merge", "-I", "clients/perl/lib", "-r", "clients/perl/t")
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"ESDR_TEST_PROXY_URL="+e.proxyURL,
		"ESDR_TEST_ADMIN_URL=http://"+e.Addr,
		"ESDR_TEST_SIGNAL_DIR="+signals,
		"ESDR_TEST_PRIMARY_NAME="+p.primary.Name,
		"ESDR_TEST_STANDBY_NAME="+p.standby.Name,
		"ESDR_TEST_STANDBY_URL="+p.standby.URLs()[0],
	)
	prove := child.StartT(t, cmd, child.Options{})

	// 30-failover.t writes "ready" once both its clients have used the primary.
	var proveErr error
	failedOver := false
wait:
	for {
		select {
		case <-prove.Done():
			proveErr = prove.Wait()
			break wait
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := os.Stat(filepath.Join(signals, "ready")); err == nil && !failedOver {
			if err := p.primary.Kill(); err != nil {
				t.Fatal(err)
			}
			e.waitActive("standby", 2, detectBound)
			if err := os.WriteFile(filepath.Join(signals, "failed-over"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			failedOver = true
		}
	}
	t.Logf("prove:\n%s", prove.Output())
	if proveErr != nil {
		t.Fatalf("prove failed: %v", proveErr)
	}
	if !failedOver {
		t.Fatal("30-failover.t never asked for the failover")
	}
	files := parseTAP(prove.Output())
	for _, name := range []string{"t/00-load.t", "t/10-discovery-errors.t", "t/15-proxy-errors.t", "t/20-nonodes-refresh.t", "t/30-failover.t"} {
		f := files[name]
		switch {
		case f == nil:
			t.Errorf("%s did not run", name)
		case f.skipAll != "":
			t.Errorf("%s skipped: %s", name, f.skipAll)
		case f.planned == 0 || f.passed != f.planned || f.failed != 0:
			t.Errorf("%s: planned %d, passed %d, failed %d", name, f.planned, f.passed, f.failed)
		case len(f.skipped) > 0:
			t.Errorf("%s skipped cases: %v", name, f.skipped)
		}
	}
}

// tapFile is what prove -v printed for one .t file.
type tapFile struct {
	planned, passed, failed int
	skipAll                 string   // reason of a "1..0 # SKIP"
	skipped                 []string // "ok N # skip ..." lines
}

var (
	tapHeader = regexp.MustCompile(`^(?:\S*/)?(t/\S+\.t) \.+ ?`)
	tapPlan   = regexp.MustCompile(`^1\.\.(\d+)(?:\s*#\s*(?i:skip)\s*(.*))?$`)
	tapOK     = regexp.MustCompile(`^(not )?ok \d+`)
	tapSkip   = regexp.MustCompile(`(?i)^ok \d+\s*(?:-[^#]*)?#\s*skip`)
)

// parseTAP splits prove -v output by file and counts each file's plan and results.
func parseTAP(out string) map[string]*tapFile {
	files := map[string]*tapFile{}
	var cur *tapFile
	for _, line := range strings.Split(out, "\n") {
		if m := tapHeader.FindStringSubmatch(line); m != nil {
			cur = &tapFile{}
			files[m[1]] = cur
			line = strings.TrimSpace(line[len(m[0]):])
			if strings.HasPrefix(line, "skipped:") {
				cur.skipAll = strings.TrimSpace(strings.TrimPrefix(line, "skipped:"))
			}
		}
		if cur == nil {
			continue
		}
		line = strings.TrimSpace(line)
		switch m := tapPlan.FindStringSubmatch(line); {
		case m != nil:
			cur.planned, _ = strconv.Atoi(m[1])
			if m[1] == "0" {
				cur.skipAll = m[2]
			}
		case tapSkip.MatchString(line):
			cur.skipped = append(cur.skipped, line)
			cur.passed++
		case tapOK.MatchString(line):
			if strings.HasPrefix(line, "not ") {
				cur.failed++
			} else {
				cur.passed++
			}
		}
	}
	return files
}

func TestParseTAP(t *testing.T) {
	out := "clients/perl/t/00-load.t .. \nok 1 - a\nok 2 # skip no server\n1..2\nok\n" +
		"clients/perl/t/20-x.t .. skipped: set by the Go e2e test\n" +
		"clients/perl/t/30-y.t .. \nok 1 - a\nnot ok 2 - b\n#   Failed test 'b'\n1..2\n"
	f := parseTAP(out)
	if a := f["t/00-load.t"]; a == nil || a.planned != 2 || a.passed != 2 || len(a.skipped) != 1 {
		t.Fatalf("00: %+v", a)
	}
	if b := f["t/20-x.t"]; b == nil || b.skipAll == "" {
		t.Fatalf("20: %+v", b)
	}
	if c := f["t/30-y.t"]; c == nil || c.planned != 2 || c.passed != 1 || c.failed != 1 {
		t.Fatalf("30: %+v", c)
	}
}
