// Package report writes benchmark results into docs/benchmarks.md: each benchmark owns a
// section between markers, replaced whole on every run, headed by the machine, the date
// and the exact command, so a number in the docs can always be traced to a run.
package report

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a benchmark ran.
func Machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%d cores (%s)%s, %s, %s/%s", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// Section replaces (or appends) the section called name in the markdown file at path.
func Section(path, name, command, body string) error {
	begin, end := "<!-- bench:"+name+" -->", "<!-- /bench:"+name+" -->"
	text := fmt.Sprintf("%s\nRun %s on %s.\n\n```\n%s\n```\n\n%s\n%s", begin,
		time.Now().UTC().Format("2006-01-02 15:04 MST"), Machine(), command, strings.TrimSpace(body), end)
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("report: %w", err)
	}
	s := string(old)
	if i, j := strings.Index(s, begin), strings.Index(s, end); i >= 0 && j > i {
		s = s[:i] + text + s[j+len(end):]
	} else {
		if s == "" {
			s = "# Benchmarks\n\nEvery number here was written by the command shown above it. Re-run with `make bench`.\n"
		}
		s = strings.TrimRight(s, "\n") + "\n\n" + text + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
