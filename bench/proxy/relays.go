package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
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
	var procs []*exec.Cmd
	stop = func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	for _, r := range []struct{ name, mode string }{{relayL4Name, "l4"}, {relayEvloopName, "evloop"}} {
		addr, err := esdrproc.FreeAddr()
		if err != nil {
			stop()
			return nil, nil, err
		}
		log, err := os.Create(filepath.Join(dir, "relay-"+r.mode+".log"))
		if err != nil {
			stop()
			return nil, nil, err
		}
		cmd := exec.Command(bin, "-mode", r.mode, addr, node)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			log.Close()
			stop()
			return nil, nil, fmt.Errorf("start the %s: %w", r.name, err)
		}
		log.Close() // the child holds its own descriptor
		procs = append(procs, cmd)
		if err := waitListening(ctx, addr); err != nil {
			stop()
			return nil, nil, fmt.Errorf("the %s: %w", r.name, err)
		}
		targets = append(targets, target{r.name, "http://" + addr, cmd.Process.Pid})
	}
	return targets, stop, nil
}

// waitListening waits until addr accepts connections.
func waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not listening on %s after 10s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hostPort strips the scheme of a node URL.
func hostPort(url string) string { return strings.TrimPrefix(url, "http://") }
