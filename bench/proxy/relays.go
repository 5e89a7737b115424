package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/poll"
)

// Reference relays (bench/proxy/relay): TCP only, no HTTP parsing, so their rows bound
// what any HTTP-aware Go proxy can reach on this machine with each design.
const (
	relayL4Name     = "l4 relay"
	relayEvloopName = "event-loop relay"
	relayEpollName  = "epoll relay"
)

// startRelays builds the relay command and starts one relay of each design in front of
// node (host:port). stop ends them.
func startRelays(ctx context.Context, dir, node string) (targets []target, stop func(), err error) {
	bin := filepath.Join(dir, "relay")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/proxy/relay")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("build the relays: %v: %s", err, out)
	}
	var procs []*child.Proc
	stop = func() {
		for _, p := range procs {
			_ = p.Stop()
		}
	}
	for _, r := range []struct{ name, mode string }{{relayL4Name, "l4"}, {relayEvloopName, "evloop"}, {relayEpollName, "epoll"}} {
		addr, err := esdrproc.FreeAddr()
		if err != nil {
			stop()
			return nil, nil, err
		}
		// The relay's output stays in memory (child.Proc.Output): a log file closed after
		// the start would break the pipe child.Start copies through, and the next line the
		// relay writes (gnet logs as it starts) would kill it with SIGPIPE.
		cmd := exec.Command(bin, "-mode", r.mode, addr, node)
		p, err := child.Start(cmd, child.Options{})
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("start the %s: %w", r.name, err)
		}
		procs = append(procs, p)
		if err := poll.Accepting(ctx, 10*time.Second, "tcp", addr); err != nil {
			stop()
			return nil, nil, fmt.Errorf("the %s: %w; its output: %s", r.name, err, p.Output())
		}
		targets = append(targets, target{r.name, "http://" + addr, p.Pid()})
	}
	return targets, stop, nil
}

// hostPort strips the scheme of a node URL.
func hostPort(url string) string { return strings.TrimPrefix(url, "http://") }
