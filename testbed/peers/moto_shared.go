package peers

import (
	"context"
	"net/http"
	"sync"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// SharedMoto is one moto server for all the tests of a package (it takes seconds to
// start on a loaded machine), started by the first test that asks for it and reset
// before each. The package's TestMain calls Stop.
type SharedMoto struct {
	// RepoRoot is the repository's root, relative to the package's directory.
	RepoRoot string
	once     sync.Once
	url      string
	proc     *Proc
	err      error
}

// URL returns the URL of the shared moto server, freshly reset; the test is skipped
// under -short.
func (m *SharedMoto) URL(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs moto; skipped under -short")
	}
	m.once.Do(func() { m.url, m.proc, m.err = LaunchMoto(m.RepoRoot) })
	if m.err != nil {
		t.Fatal(m.err)
	}
	resp, err := http.Post(m.url+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return m.url
}

// Stop stops the server if a test started it.
func (m *SharedMoto) Stop() {
	if m.proc != nil {
		m.proc.Stop()
	}
}

// Calls counts an AWS SDK client's operations by name. Add its Middleware to the
// client's APIOptions.
type Calls struct {
	mu sync.Mutex
	n  map[string]int
}

// Get returns how many times operation op was called.
func (c *Calls) Get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// Middleware counts each operation as it starts, before any retry.
func (c *Calls) Middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("esdrCount",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			if c.n == nil {
				c.n = map[string]int{}
			}
			c.n[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}
