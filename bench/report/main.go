package report

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Logf prints one progress line of a benchmark.
type Logf = func(format string, args ...any)

// Main runs benchmark name the same way for every bench command: cancelled by SIGINT or
// SIGTERM, progress on stderr stamped with the seconds since start, the markdown body
// printed, and, with out, written as the benchmark's section of out with the exact
// command that produced it. It returns the process exit code.
func Main(name, out string, bench func(ctx context.Context, logf Logf) (body string, err error)) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%5.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	body, err := bench(ctx, logf)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	fmt.Println(body)
	if out != "" {
		cmd := strings.TrimSpace("go run ./bench/" + name + " " + strings.Join(os.Args[1:], " "))
		if err := Section(out, name, cmd, body); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			return 1
		}
	}
	return 0
}

// LoadAverage is the machine's 1, 5 and 15 minute load averages, for the report: a
// shared machine's numbers must say how busy it was.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// Sleep waits d, or until ctx ends (its error then): a benchmark's pauses end with it.
func Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
