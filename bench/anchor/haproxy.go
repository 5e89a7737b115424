// Package anchor runs HAProxy, the benchmarks' point of comparison, as a foreground child
// process with a configuration the benchmark writes.
package anchor

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/poll"
)

// HAProxy is a running HAProxy in the foreground (-db), a child of this process.
type HAProxy struct{ p *child.Proc }

// Start writes cfg to dir/haproxy.cfg, checks it, starts HAProxy (the test bed's one
// HAProxy runner) and waits until it accepts connections on listen.
func Start(ctx context.Context, dir, cfg, listen string) (*HAProxy, error) {
	p, err := peers.RunHAProxy(ctx, dir, cfg)
	if err != nil {
		return nil, err
	}
	h := &HAProxy{p: p}
	err = poll.Accepting(ctx, 10*time.Second, "tcp", listen)
	switch {
	case p.Exited():
		return nil, fmt.Errorf("haproxy exited: %s", strings.TrimSpace(p.Output()))
	case err != nil:
		h.Stop()
		return nil, err
	}
	return h, nil
}

// PID is the HAProxy process id, for memory sampling.
func (h *HAProxy) PID() int { return h.p.Pid() }

// Stop terminates HAProxy and waits for it.
func (h *HAProxy) Stop() { _ = h.p.Stop() }

// Version is the installed HAProxy's version, such as 2.6.12-1+deb12u4.
func Version() string {
	out, err := exec.Command("haproxy", "-v").Output()
	if f := strings.Fields(string(out)); err == nil && len(f) >= 3 {
		return f[2]
	}
	return "(unknown version)"
}
