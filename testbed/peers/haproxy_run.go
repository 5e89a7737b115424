package peers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/esdr/esdr/testbed/child"
)

// RunHAProxy writes cfg to dir/haproxy.cfg, has HAProxy check it (-c, so a bad file is
// reported as such rather than as a process that never listens) and starts HAProxy on it
// in the foreground (-db), a child of this process. Waiting until it is ready is the
// caller's: what ready means (a port, a socket, servers UP) depends on the
// configuration. The one HAProxy runner of the tests, the benchmarks and the demo.
func RunHAProxy(ctx context.Context, dir, cfg string) (*child.Proc, error) {
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("peers: haproxy: %w", err)
	}
	bin := haproxyBin()
	if out, err := exec.CommandContext(ctx, bin, "-c", "-q", "-f", path).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("peers: haproxy -c %s: %w: %s", path, err, out)
	}
	p, err := child.Start(exec.Command(bin, "-db", "-f", path), child.Options{})
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	return p, nil
}

// RunHAProxyT is RunHAProxy for a test, which it skips under -short and fails when
// HAProxy is missing or refuses the file; a cleanup stops HAProxy and, when the test
// failed, logs its output.
func RunHAProxyT(t testing.TB, dir, cfg string) *child.Proc {
	t.Helper()
	Need(t, "haproxy")
	p, err := RunHAProxy(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.StopT(t) })
	return p
}

// haproxyBin is haproxy on $PATH, else Debian's /usr/sbin/haproxy (often off a user's PATH).
func haproxyBin() string {
	if bin, err := exec.LookPath("haproxy"); err == nil {
		return bin
	}
	return "/usr/sbin/haproxy"
}
