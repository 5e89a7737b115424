// Package esdrproc runs `esdr run` as a child process with a generated configuration, for
// benchmarks, the demo and drills: the real binary, its real admin API, nothing in-process.
package esdrproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/state"
)

// Token is the admin token written into generated configurations.
const Token = "esdrproc-token-0123456789abcdef"

// Proc is one running esdr.
type Proc struct {
	Dir, Config, Addr string
	Client            *admin.Client
	cmd               *exec.Cmd
	out               *syncBuffer
	done              chan struct{}
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

// Start writes config (which must name admin.listen = addr and admin.token = Token) to
// dir/esdr.yaml, starts bin on it and waits until the admin API answers.
func Start(ctx context.Context, bin, dir, addr, config string) (*Proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := &Proc{Dir: dir, Config: filepath.Join(dir, "esdr.yaml"), Addr: addr, out: &syncBuffer{}}
	if err := os.WriteFile(p.Config, []byte(config), 0o600); err != nil {
		return nil, err
	}
	c, err := admin.NewClient("http://"+addr, Token, 5*time.Second)
	if err != nil {
		return nil, err
	}
	p.Client = c
	p.cmd = exec.Command(bin, "run", "-c", p.Config)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("esdrproc: start %s: %w", bin, err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	err = p.Until(ctx, 20*time.Second, "admin API up", func() bool {
		_, err := p.Client.Status(ctx)
		return err == nil
	})
	if err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// Until polls cond every 10 ms until it holds, the process exits, or within passes.
func (p *Proc) Until(ctx context.Context, within time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		select {
		case <-p.done:
			return fmt.Errorf("esdrproc: esdr exited while waiting for %s:\n%s", what, p.Log(30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("esdrproc: %s not reached within %s:\n%s", what, within, p.Log(30))
		}
	}
	return nil
}

// WaitVerdicts waits until every named cluster has the verdict "up".
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

// Stop sends SIGTERM and waits (bounded) for the process to exit.
func (p *Proc) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.Kill()
	}
}

// Kill sends SIGKILL, as a crash would, and waits for the process to be gone.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Log returns the last n lines esdr wrote.
func (p *Proc) Log(n int) string {
	lines := strings.Split(strings.TrimRight(p.out.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ErrExited is returned by waits when esdr is no longer running.
var ErrExited = errors.New("esdrproc: esdr exited")

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
