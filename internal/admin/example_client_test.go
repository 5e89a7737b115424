package admin_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/admin"
)

// ExampleClient drives esdr's admin API as the operator CLI does: read the status, ask
// for a switchover, read the event log. The server here is the real admin server over a
// controller that answers from fixed data (fakeCtl), served by httptest; against a
// running esdr, the address and token are those of its admin section.
func ExampleClient() {
	srv, err := admin.New(admin.Config{Listen: "127.0.0.1:0", Token: testToken}, &fakeCtl{}, prometheus.NewRegistry(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	c, err := admin.NewClient(ts.URL, testToken, 5*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	c.By = "alice" // who the event log names for this client's commands
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("active %s at epoch %d\n", st.State.Active, st.State.Epoch)
	for _, cl := range st.Clusters {
		fmt.Printf("  %s (%s): %s, %s\n", cl.Name, cl.Role, cl.Observation.Verdict, cl.Observation.Detail)
	}

	// A refused command is an error that names the catalogue code and says why.
	if _, err := c.Switchover(ctx, "down", false); err != nil {
		fmt.Println(err)
	}
	d, err := c.Switchover(ctx, "west", false)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %s → %s at epoch %d: %s\n", d.Action, d.From, d.To, d.Epoch, d.Reason)

	evs, err := c.Events(ctx, 0, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range evs {
		fmt.Printf("event %d %s: %s\n", e.Seq, e.Kind, e.Message)
	}
	// Output:
	// active east at epoch 3
	//   east (primary): up, 3 nodes, status green
	//   west (standby): down, connection refused by every node
	// admin: switchover refused (switchover-refused): target down is down; use --force to override
	// switchover east → west at epoch 4: planned switchover to west
	// event 1 decided: esdr takes the preferred cluster east
	// event 2 observed: west is down
}
