package e2e

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/esdr/esdr/testbed/netfault"
)

// TestStatusPageFleet opens the status page of a fleet's leader in headless Chromium,
// cuts one other member's path to the primary, and watches the same page session (no
// reload) show that member's verdict of the primary turn down and a
// partitioned-from-primary finding naming it, while the primary stays active.
func TestStatusPageFleet(t *testing.T) {
	p := clusters(t, "opensearch2")
	prepare(t, p) // as TestFleet does: the clusters answer writes before the fleet judges them
	f := startFleet(t, p, func([]string) string { return "" })
	lead := f.leader(detectBound)
	f.waitRouting("primary", 1, detectBound)

	b := startBrowser(t)
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false})
	b.call("Page.enable", nil)
	b.call("Page.navigate", map[string]any{"url": "http://" + f.members[lead].Addr + "/"})
	b.waitFor(t, "the fleet table lists the 3 members, each seeing the primary up", detectBound,
		fmt.Sprintf(`!document.getElementById("fleet").hidden &&
		 document.querySelector('[data-testid="fleet-leader"]').textContent === %s &&
		 document.getElementById("active").textContent === "primary" &&
		 document.querySelectorAll("#fleet-views tbody tr").length === 3 &&
		 %s.every(m => document.querySelector('#fleet-views tr[data-member="' + m + '"] td[data-cluster="primary"] .v-up') !== null)`,
			strconv.Quote(f.names[lead]), jsList(f.names)))
	// A reload would lose this mark: it proves the page changed by itself.
	b.eval(t, `window.esdrTestMark = "same page"; true`)

	cut := f.others(lead)[0]
	f.paths[cut].Mode(netfault.Refuse)
	t.Cleanup(func() { f.paths[cut].Mode(netfault.Pass) })
	name := strconv.Quote(f.names[cut])
	b.waitFor(t, f.names[cut]+" sees the primary down and a finding names it", 2*detectBound,
		fmt.Sprintf(`document.querySelector('#fleet-views tr[data-member=' + JSON.stringify(%[1]s) + '] td[data-cluster="primary"] .v-down') !== null &&
		 [...document.querySelectorAll('#fleet-findings li[data-code="partitioned-from-primary"]')].some(li => li.dataset.member === %[1]s && li.textContent.includes(%[1]s))`,
			name))
	if mark := b.eval(t, `window.esdrTestMark`); mark != "same page" {
		t.Fatalf("the page was reloaded (mark %v)", mark)
	}
	// A partition of one member is a finding, never a failover: the others still see the
	// primary up and it stays active.
	for _, j := range f.others(cut) {
		sel := fmt.Sprintf(`#fleet-views tr[data-member=%q] td[data-cluster="primary"] .v-up`, f.names[j])
		if b.eval(t, fmt.Sprintf(`document.querySelector(%s) !== null`, strconv.Quote(sel))) != true {
			t.Errorf("%s no longer shows the primary up", f.names[j])
		}
	}
	if got := b.eval(t, `document.getElementById("active").textContent + " " + document.getElementById("epoch").textContent`); got != "primary 1" {
		t.Errorf("page shows %q active, want primary at epoch 1", got)
	}
	if conn := b.eval(t, `document.getElementById("conn").textContent`); conn != "live" {
		t.Errorf("connection status %q, want live", conn)
	}
	f.members[lead].waitProbes("primary", 4, detectBound) // a few probe cells in the strips, for the picture
	b.screenshot(t, "status-page-fleet.png")
}

// jsList writes names as a JavaScript array literal.
func jsList(names []string) string {
	out := "["
	for i, n := range names {
		if i > 0 {
			out += ","
		}
		out += strconv.Quote(n)
	}
	return out + "]"
}
