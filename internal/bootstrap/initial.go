package bootstrap

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// ErrRefused is wrapped by the error of a refused first start; check with errors.Is.
var ErrRefused = errors.New("bootstrap: refusing to start")

// Refusal is the error of a first start that v found unsafe: what was seen, and the
// flag that states the truth. clusters are the configured cluster names.
func (v Verdict) Refusal(preferred string, clusters []string) error {
	if v.Safe() {
		return nil
	}
	return fmt.Errorf("%w on the preferred cluster %s: there is no stored state (a first start, a new or replaced "+
		"state file, or an empty etcd prefix), and esdr cannot rule out that traffic left %[2]s before:\n  - %s\n"+
		"state which cluster takes traffic now: esdr run -c FILE --bootstrap-active CLUSTER (one of %s)",
		ErrRefused, preferred, strings.Join(v.Findings, "\n  - "), strings.Join(clusters, ", "))
}

// Initial is the first state when an operator names the active cluster with
// --bootstrap-active, at v.Epoch, and the event that records why.
func Initial(active string, v Verdict, now time.Time) (decide.State, state.Event) {
	s := decide.State{Active: active, Epoch: v.Epoch, ActiveSince: now}
	msg := fmt.Sprintf("bootstrap: %s made active at epoch %d by esdr run --bootstrap-active", active, v.Epoch)
	if len(v.Findings) > 0 {
		msg += "; seen at start: " + strings.Join(v.Findings, "; ")
	}
	return s, state.Event{At: now, Kind: state.EventCommand, Code: decide.CodeBootstrap, To: active, Epoch: v.Epoch, Message: msg}
}
