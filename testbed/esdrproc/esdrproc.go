// Package esdrproc runs `esdr run` as a child process on a configuration of the caller's,
// for the end-to-end tests, the benchmarks and the demo alike: the real binary, its real
// admin API, nothing in-process. StartT is its face for a test.
package esdrproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/poll"
)

// Token is the admin token written into generated configurations.
const Token = "esdrproc-token-0123456789abcdef"

// startWithin bounds how long a started esdr may take to answer on its admin API.
const startWithin = 20 * time.Second

// Proc is one esdr, started or not: its configuration on disk, its admin API, and the
// process while it runs. It can be started again after a stop or a kill, on the same
// configuration and state, as an operator restarts esdr.
type Proc struct {
	Dir, Config, Addr string
	// Bin is the esdr binary; Args are further `esdr run` flags for the next Start.
	Bin    string
	Args   []string
	Client *admin.Client
	child  *child.Proc // nil before the first Start
}

// FreeAddr returns a loopback host:port nothing listens on right now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Addrs returns an admin and a proxy address for one esdr, both free right now.
func Addrs() (adminAddr, proxyAddr string, err error) {
	if adminAddr, err = FreeAddr(); err != nil {
		return "", "", err
	}
	if proxyAddr, err = FreeAddr(); err != nil {
		return "", "", err
	}
	return adminAddr, proxyAddr, nil
}

// New writes config (which must name admin.listen = addr and admin.token = Token) to
// dir/esdr.yaml and makes the admin client; it starts nothing.
func New(bin, dir, addr, config string) (*Proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := &Proc{Dir: dir, Config: filepath.Join(dir, "esdr.yaml"), Addr: addr, Bin: bin}
	if err := os.WriteFile(p.Config, []byte(config), 0o600); err != nil {
		return nil, err
	}
	c, err := admin.NewClient("http://"+addr, Token, 5*time.Second)
	if err != nil {
		return nil, err
	}
	p.Client = c
	return p, nil
}

// Start writes the configuration, starts bin on it and waits until the admin API answers.
func Start(ctx context.Context, bin, dir, addr, config string) (*Proc, error) {
	p, err := New(bin, dir, addr, config)
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Start runs `esdr run -c Config Args...` and waits until its admin API answers; on
// failure the process is stopped and the error carries its log.
func (p *Proc) Start(ctx context.Context) error {
	c, err := child.Start(exec.Command(p.Bin, append([]string{"run", "-c", p.Config}, p.Args...)...), child.Options{})
	if err != nil {
		return fmt.Errorf("esdrproc: %w", err)
	}
	p.child = c
	err = p.Until(ctx, startWithin, "admin API up", func() bool {
		_, err := p.Client.Status(ctx)
		return err == nil
	})
	if err != nil {
		p.Stop()
		return err
	}
	return nil
}

// Until polls cond until it holds, the process exits, or within passes; the error
// carries the tail of esdr's log.
func (p *Proc) Until(ctx context.Context, within time.Duration, what string, cond func() bool) error {
	exited := false
	err := poll.Until(ctx, within, what, func() bool {
		exited = p.Exited()
		return exited || cond()
	})
	switch {
	case exited:
		return fmt.Errorf("%w while waiting for %s:\n%s", ErrExited, what, p.Log(30))
	case err != nil:
		return fmt.Errorf("esdrproc: %w:\n%s", err, p.Log(30))
	}
	return nil
}

// WaitUp waits until every named cluster has the verdict "up".
func (p *Proc) WaitUp(ctx context.Context, within time.Duration, clusters ...string) error {
	return p.Until(ctx, within, fmt.Sprintf("%v up", clusters), func() bool {
		st, err := p.Client.Status(ctx)
		if err != nil {
			return false
		}
		up := 0
		for _, c := range st.Clusters {
			for _, n := range clusters {
				if c.Name == n && c.Observation.Verdict == "up" {
					up++
				}
			}
		}
		return up == len(clusters)
	})
}

// WaitTransition waits for the first transition event at or after epoch and returns it.
// The event may predate the caller's fault (a false failover under load): compare its
// At with the fault, or check WaitSettled first.
func (p *Proc) WaitTransition(ctx context.Context, within time.Duration, epoch uint64) (state.Event, error) {
	var found state.Event
	err := p.Until(ctx, within, fmt.Sprintf("a transition to epoch %d", epoch), func() bool {
		evs, err := p.Client.Events(ctx, 0, 1000)
		if err != nil {
			return false
		}
		for _, e := range evs {
			if IsTransition(e) && e.Epoch >= epoch {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// Stop sends SIGTERM and waits (bounded) for the process to exit; the error says it had
// to be killed. Stopping an esdr that does not run does nothing.
func (p *Proc) Stop() error {
	if p.child == nil {
		return nil
	}
	return p.child.Stop()
}

// Kill sends SIGKILL, as a crash would, and waits for the process to be gone.
func (p *Proc) Kill() { p.child.Kill() }

// Signal sends sig to the running esdr (SIGHUP to reload, SIGSTOP to freeze it).
func (p *Proc) Signal(sig syscall.Signal) error { return p.child.Signal(sig) }

// Pid is the running esdr's process id.
func (p *Proc) Pid() int { return p.child.Pid() }

// Exited reports whether the process has ended (or never started).
func (p *Proc) Exited() bool { return p.child == nil || p.child.Exited() }

// Output is everything the current process wrote so far.
func (p *Proc) Output() string {
	if p.child == nil {
		return ""
	}
	return p.child.Output()
}

// Log returns the last n lines the current process wrote.
func (p *Proc) Log(n int) string { return child.Tail(p.Output(), n) }

// ErrExited is returned by waits when esdr is no longer running.
var ErrExited = errors.New("esdrproc: esdr exited")

// Build compiles this repository's esdr into bin; flags go before the package, such as
// -race. The tests, the benchmarks and the demo's callers build it this one way.
func Build(ctx context.Context, bin string, flags ...string) error {
	root, err := testbed.RepoRoot()
	if err != nil {
		return fmt.Errorf("esdrproc: build esdr: %w", err)
	}
	args := append(append([]string{"build"}, flags...), "-o", bin, "./cmd/esdr")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("esdrproc: go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
