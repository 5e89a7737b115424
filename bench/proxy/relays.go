package main

import (
	"context"
	"fmt"
	"os"
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
)

// startRelays builds the relay command and starts one relay of each design in front of
// node (host:port). stop ends both.
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
	for _, r := range []struct{ name, mode string }{{relayL4Name, "l4"}, {relayEvloopName, "evloop"}} {
		addr, err := esdrproc.FreeAddr()
		if err != nil {
			stop()
			return nil, nil, err
		}
		logPath := filepath.Join(dir, "relay-"+r.mode+".log")
		log, err := os.Create(logPath)
		if err != nil {
			stop()
			return nil, nil, err
		}
		cmd := exec.Command(bin, "-mode", r.mode, addr, node)
		cmd.Stdout, cmd.Stderr = log, log
		p, err := child.Start(cmd, child.Options{})
		log.Close() // the child holds its own descriptor
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("start the %s: %w", r.name, err)
		}
		procs = append(procs, p)
		if err := poll.Accepting(ctx, 10*time.Second, "tcp", addr); err != nil {
			stop()
			out, _ := os.ReadFile(logPath)
			return nil, nil, fmt.Errorf("the %s: %w; its output: %s", r.name, err, out)
		}
		targets = append(targets, target{r.name, "http://" + addr, p.Pid()})
	}
	return targets, stop, nil
}

// hostPort strips the scheme of a node URL.
func hostPort(url string) string { return strings.TrimPrefix(url, "http://") }
