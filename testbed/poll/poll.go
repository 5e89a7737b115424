// Package poll is the one wait of the test bed, its tests and its benchmarks: look at a
// condition again and again until it holds, within a bound that keeps a broken build
// from hanging, and name what was awaited when the bound passes. The bound is a safety
// net, never a performance assertion: numbers come from esdr's own events.
package poll

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
)

// Every is the pause between two looks: short against the seconds esdr's probes take,
// long enough that waiting costs the loaded machine little.
const Every = 50 * time.Millisecond

// Until calls cond every Every until it returns true. It returns an error naming what
// it waited for when within passes or ctx ends first.
func Until(ctx context.Context, within time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("poll: %s: not within %s", what, within)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("poll: %s: %w", what, ctx.Err())
		case <-time.After(Every):
		}
	}
	return nil
}

// Eventually is Until for a test: it fails t when within passes, with the message and
// whatever each of more says then (a process's log tail, the last error seen).
func Eventually(t testing.TB, what string, within time.Duration, cond func() bool, more ...func() string) {
	t.Helper()
	if err := Until(context.Background(), within, what, cond); err != nil {
		msg := err.Error()
		for _, m := range more {
			msg += "\n" + m()
		}
		t.Fatal(msg)
	}
}

// Accepting waits until addr accepts connections on network ("tcp", or "unix" for a
// socket path): a server just started is ready to be talked to.
func Accepting(ctx context.Context, within time.Duration, network, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	return Until(ctx, within, fmt.Sprintf("%s %s accepting connections", network, addr), func() bool {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}
