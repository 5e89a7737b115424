// Package child runs the programs tests and benchmarks drive — esdr, HAProxy, etcd,
// Starman, a browser — as child processes: started with their output kept, killed with
// the process that started them, stopped by SIGTERM and then SIGKILL after a bound, and
// always waited for, so that no test leaves a process or a zombie behind.
package child

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
const DefaultGrace = 10 * time.Second

// outputDrain bounds how long Wait reads output after the process has exited.
const outputDrain = 2 * time.Second

// Options are the few ways child processes differ.
type Options struct {
	// Group puts the process in a process group of its own and sends every signal to the
	// whole group: a server that forks workers (Starman) stops with its workers.
	Group bool
	// Grace bounds Stop's wait between SIGTERM and SIGKILL; DefaultGrace when zero.
	Grace time.Duration
}

// Proc is one started child process.
type Proc struct {
	name  string
	cmd   *exec.Cmd
	opt   Options
	out   *buffer
	done  chan struct{}
	mu    sync.Mutex
	waitE error // Wait's answer, written before done is closed
}

// Start starts cmd. Its output (stdout and stderr, interleaved) is kept for Output and
// Log; when the caller set cmd.Stdout (a log file), the output goes there too. The
// process gets SIGKILL if the starting process dies first (Pdeathsig), so a crashed test
// binary leaves nothing running.
func Start(cmd *exec.Cmd, o Options) (*Proc, error) {
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	p := &Proc{name: filepath.Base(cmd.Path), cmd: cmd, opt: o, out: &buffer{}, done: make(chan struct{})}
	var w io.Writer = p.out
	if cmd.Stdout != nil {
		w = io.MultiWriter(cmd.Stdout, p.out)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = o.Group
	if cmd.WaitDelay == 0 {
		// A grandchild (a browser's renderer, a server's worker) may hold the output pipe
		// after the process is gone: Wait must not hang on it.
		cmd.WaitDelay = outputDrain
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("child: start %s: %w", p.name, err)
	}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitE = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id (with Group, also the process group's id).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited and been waited for.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit and returns what exec.Cmd.Wait said.
func (p *Proc) Wait() error {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitE
}

// Signal sends sig to the process, or to its whole group with Options.Group.
func (p *Proc) Signal(sig syscall.Signal) error {
	pid := p.Pid()
	if p.opt.Group {
		pid = -pid
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("child: %s (pid %d): %v: %w", p.name, p.Pid(), sig, err)
	}
	return nil
}

// Stop asks the process to end (SIGTERM), kills it (SIGKILL) when it has not within the
// grace, and waits for it. The error says it had to be killed: a program that ignores
// SIGTERM is worth knowing about, since operators stop it that way.
func (p *Proc) Stop() error {
	if p.Exited() {
		return nil
	}
	_ = p.Signal(syscall.SIGCONT) // a stopped (SIGSTOP) process cannot act on SIGTERM
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(p.opt.Grace):
		p.Kill()
		return fmt.Errorf("child: %s (pid %d) did not exit within %s of SIGTERM; killed it", p.name, p.Pid(), p.opt.Grace)
	}
}

// Kill sends SIGKILL, as a crash would, and waits for the process to be gone.
func (p *Proc) Kill() {
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
}

// Output is everything the process wrote so far.
func (p *Proc) Output() string { return p.out.String() }

// Log is the last n lines the process wrote.
func (p *Proc) Log(n int) string { return Tail(p.out.String(), n) }

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// buffer keeps a process's output; it is written by exec's copying goroutine and read
// by the test.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *buffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
