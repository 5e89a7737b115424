package esdrproc

import (
	"context"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/child"
)

// Spec is an esdr for a test: the binary, the configuration and where it lives.
type Spec struct {
	Bin    string
	Dir    string // where esdr.yaml and its state go; a t.TempDir() when empty
	Addr   string // admin.listen, as Config names it
	Config string // YAML, with admin.token = Token
	Args   []string
}

// NewT writes the configuration of s and registers a cleanup that stops esdr (failing
// the test when SIGTERM does not stop it: operators stop it that way) and, when the test
// failed, logs its last lines. It starts nothing: see StartT and Proc.StartT.
func NewT(t testing.TB, s Spec) *Proc {
	t.Helper()
	if s.Dir == "" {
		s.Dir = t.TempDir()
	}
	p, err := New(s.Bin, s.Dir, s.Addr, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	p.Args = s.Args
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() && p.child != nil {
			t.Logf("esdr log:\n%s", p.Log(child.LogLines))
		}
	})
	return p
}

// StartT is NewT and Proc.StartT: a running esdr whose admin API answers.
func StartT(t testing.TB, s Spec) *Proc {
	t.Helper()
	p := NewT(t, s)
	p.StartT(t)
	return p
}

// StartT starts esdr (again, after a Stop or a Kill) and waits until its admin API
// answers, or fails t with esdr's log.
func (p *Proc) StartT(t testing.TB) {
	t.Helper()
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Eventually polls cond until it holds, or fails t — at once if esdr exits — with what
// it waited for and esdr's last lines. The bound is a safety net against a hung test,
// not a performance assertion.
func (p *Proc) Eventually(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	if err := p.Until(context.Background(), within, what, cond); err != nil {
		t.Fatal(err)
	}
}
