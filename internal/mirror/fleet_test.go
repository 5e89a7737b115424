package mirror

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePeers is the other members: each owes a cluster until settled.
type fakePeers struct {
	mu    sync.Mutex
	owing map[string]string // cluster -> the member still owing it
	asked []string
}

func (p *fakePeers) Wait(ctx context.Context, cluster string, epoch uint64) error {
	p.mu.Lock()
	p.asked = append(p.asked, fmt.Sprintf("%s@%d", cluster, epoch))
	who := p.owing[cluster]
	p.mu.Unlock()
	if who == "" {
		return nil
	}
	<-ctx.Done()
	return errors.New("member " + who + " owes it 7 writes")
}

func TestFleetDrain(t *testing.T) {
	peers := &fakePeers{owing: map[string]string{}}
	r := newMirrorRig(t, Options{}, HandlerOptions{DrainWait: 50 * time.Millisecond, Peers: peers})

	t.Run("a write goes once the other members owe its cluster nothing at its epoch", func(t *testing.T) {
		if st, _, body := r.do(t, "PUT", "/orders/_doc/1", `{}`); st != 201 {
			t.Fatalf("HTTP %d %v", st, body)
		}
		peers.mu.Lock()
		defer peers.mu.Unlock()
		if len(peers.asked) == 0 || peers.asked[len(peers.asked)-1] != "east@3" {
			t.Errorf("the peers were asked %v, want east at epoch 3", peers.asked)
		}
	})
	t.Run("a write is held, then refused naming the member, while another member owes its cluster", func(t *testing.T) {
		peers.mu.Lock()
		peers.owing["east"] = "esdr-2"
		peers.mu.Unlock()
		before := len(r.active.calls())
		st, typ, body := r.do(t, "PUT", "/orders/_doc/2", `{}`)
		if st != 503 || typ != typeUnavailable || !strings.Contains(fmt.Sprint(body), "member esdr-2 owes it 7 writes") {
			t.Errorf("HTTP %d %s %v", st, typ, body)
		}
		if len(r.active.calls()) != before {
			t.Errorf("the held write reached the cluster")
		}
		if st, _, _ := r.do(t, "GET", "/orders/_doc/1", ""); st != 200 {
			t.Errorf("a read: HTTP %d, want it to pass", st)
		}
	})
}

// TestOwes: a write in flight to the active cluster is owed to the other one, and is
// counted once when it becomes a record.
func TestOwes(t *testing.T) {
	r := newMirrorRig(t, Options{}, HandlerOptions{})
	ws := &writeState{}
	r.m.attempt(ws, "east")
	if got := r.m.Report(); got["west"] != 1 || got["east"] != 0 {
		t.Errorf("in flight to east: %v, want west owed 1", got)
	}
	r.m.attempt(ws, "west") // retried on the other cluster after a failover
	if got := r.m.Report(); got["west"] != 0 || got["east"] != 1 {
		t.Errorf("in flight to west: %v, want east owed 1", got)
	}
	r.m.settled(ws)
	if st, _, _ := r.do(t, "PUT", "/orders/_doc/1", `{}`); st != http.StatusCreated {
		t.Fatalf("HTTP %d", st)
	}
	if got := r.m.Report(); got["west"] != 1 || got["east"] != 0 {
		t.Errorf("after a write journaled: %v, want west owed 1", got)
	}
}
