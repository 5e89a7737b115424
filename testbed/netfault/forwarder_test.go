package netfault

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"
)

// silence is how long a test listens to be sure nothing comes back from a blackhole. It
// can only make a broken blackhole pass by luck, never fail a working one.
const silence = 300 * time.Millisecond

func TestPassForwardsBothWays(t *testing.T) {
	n := startNode(t)
	f := forward(t, n)
	if body, err := get(f.URL() + "/a"); err != nil || body != "hello /a" {
		t.Fatalf("GET /a = %q, %v", body, err)
	}
	body, err := get(f.URL() + "/big")
	if err != nil || len(body) != 4<<20 {
		t.Fatalf("GET /big = %d bytes, %v; want %d", len(body), err, 4<<20)
	}
	c := dial(t, f.Addr())
	c.roundTrip(t, "/one")
	c.roundTrip(t, "/two") // the same connection keeps passing
	if got := n.hits.Load(); got != 4 {
		t.Fatalf("node saw %d requests, want 4", got)
	}
}

func TestRefuseResetsNewAndExisting(t *testing.T) {
	n := startNode(t)
	f := forward(t, n)
	existing := dial(t, f.Addr())
	existing.roundTrip(t, "/before")

	f.Mode(Refuse)
	if _, err := existing.receive(5 * time.Second); !isReset(err) {
		t.Fatalf("existing connection after Refuse: %v, want a reset", err)
	}
	if err := firstError(f.Addr()); !isReset(err) {
		t.Fatalf("new connection under Refuse: %v, want a reset", err)
	}
	if _, err := get(f.URL() + "/refused"); err == nil {
		t.Fatal("GET under Refuse succeeded")
	}
	if got := n.hits.Load(); got != 1 {
		t.Fatalf("node saw %d requests, want only the one before Refuse", got)
	}

	f.Mode(Pass)
	if body, err := get(f.URL() + "/after"); err != nil || body != "hello /after" {
		t.Fatalf("GET after Pass = %q, %v", body, err)
	}
}

func TestBlackholeHangsThenResetsOnHeal(t *testing.T) {
	n := startNode(t)
	f := forward(t, n)
	existing := dial(t, f.Addr())
	existing.roundTrip(t, "/before")

	f.Mode(Blackhole)
	existing.send(t, "/held")
	if _, err := existing.receive(silence); !isTimeout(err) {
		t.Fatalf("existing connection under Blackhole: %v, want silence", err)
	}
	fresh := dial(t, f.Addr()) // the handshake succeeds, as documented
	fresh.send(t, "/new")
	if _, err := fresh.receive(silence); !isTimeout(err) {
		t.Fatalf("new connection under Blackhole: %v, want silence", err)
	}
	if got := n.hits.Load(); got != 1 {
		t.Fatalf("node saw %d requests, want only the one before Blackhole", got)
	}

	f.Mode(Pass) // the partition heals: the far end has forgotten the held connections
	for name, c := range map[string]*conn{"existing": existing, "new": fresh} {
		if _, err := c.receive(5 * time.Second); !isReset(err) {
			t.Fatalf("%s held connection after Pass: %v, want a reset", name, err)
		}
	}
	if body, err := get(f.URL() + "/after"); err != nil || body != "hello /after" {
		t.Fatalf("GET after Pass = %q, %v", body, err)
	}
}

// A mode change cuts a response in the middle of its body, and closes the target side so
// the node sees its client go.
func TestModeCutsStreamInFlight(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		ends func(error) bool
		want string
	}{
		{Refuse, isReset, "a reset"},
		{Blackhole, isTimeout, "silence"},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			n := startNode(t)
			f := forward(t, n)
			c := dial(t, f.Addr())
			c.send(t, "/stream")
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(c.r, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body := bufio.NewReader(resp.Body)
			if _, err := body.ReadString('\n'); err != nil {
				t.Fatalf("first tick: %v", err)
			}

			f.Mode(tc.mode)
			select {
			case <-n.streamEnded:
			case <-time.After(10 * time.Second):
				t.Fatal("node still streaming 10s after the cut")
			}
			// Ticks already in flight may arrive; then the stream must end the mode's way.
			_ = c.SetReadDeadline(time.Now().Add(silence))
			_, err = io.Copy(io.Discard, body)
			if !tc.ends(err) {
				t.Fatalf("stream after %s ended with %v, want %s", tc.mode, err, tc.want)
			}
		})
	}
}

func TestDeadTargetLooksDead(t *testing.T) {
	n := startNode(t)
	f := forward(t, n)
	n.Close()
	if err := firstError(f.Addr()); !isReset(err) {
		t.Fatalf("connection to a dead target: %v, want a reset", err)
	}
}

// Close with connections in every state returns, and TestMain's leak check sees no
// goroutine left behind.
func TestCloseEndsEverything(t *testing.T) {
	n := startNode(t)
	f := forward(t, n)
	passing := dial(t, f.Addr())
	passing.roundTrip(t, "/a")
	streaming := dial(t, f.Addr())
	streaming.send(t, "/stream")
	g := forward(t, n)
	g.Mode(Blackhole)
	held := dial(t, g.Addr())
	held.send(t, "/held")

	for _, fw := range []*Forwarder{f, g} {
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := fw.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	for name, c := range map[string]*conn{"passing": passing, "streaming": streaming, "held": held} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, c.r); isTimeout(err) {
			t.Fatalf("%s connection still open after Close", name)
		}
	}
}
