package drill

import (
	"context"
	"errors"
	"testing"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
)

// statusAPI answers Status with a fixed status.
type statusAPI struct {
	esdrAPI
	st admin.Status
}

func (a statusAPI) Status(context.Context) (admin.Status, error) { return a.st, nil }

func TestUnmoved(t *testing.T) {
	moved := admin.Status{State: decide.State{Active: "standby", Epoch: 2},
		LastDecision: decide.Decision{Code: decide.CodeActiveDown, Reason: "active primary down"}}
	t.Run("a failover during the warmup stops the drill, naming it", func(t *testing.T) {
		d := &Drill{API: statusAPI{st: moved}}
		err := d.unmoved(context.Background(), "primary", 1)
		if !errors.Is(err, ErrMovedBeforeFault) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no move: the scenario goes on", func(t *testing.T) {
		d := &Drill{API: statusAPI{st: admin.Status{State: decide.State{Active: "primary", Epoch: 1}}}}
		if err := d.unmoved(context.Background(), "primary", 1); err != nil {
			t.Fatal(err)
		}
	})
}
