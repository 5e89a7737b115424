package poll

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	n := 0
	if err := Until(context.Background(), time.Second, "three looks", func() bool { n++; return n == 3 }); err != nil {
		t.Fatal(err)
	}
	err := Until(context.Background(), 100*time.Millisecond, "never", func() bool { return false })
	if err == nil || !strings.Contains(err.Error(), "never: not within 100ms") {
		t.Fatalf("err = %v, want it to name what was awaited", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Until(ctx, time.Minute, "cancelled", func() bool { return false }); err == nil {
		t.Fatal("Until ignored a cancelled context")
	}
}

func TestAccepting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := Accepting(context.Background(), time.Second, "tcp", addr); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := Accepting(context.Background(), 200*time.Millisecond, "tcp", addr); err == nil {
		t.Fatal("a closed port accepted")
	}
}
