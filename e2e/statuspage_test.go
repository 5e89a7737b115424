package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/poll"
)

// TestStatusPageFollowsFailover opens esdr's status page in headless Chromium, kills the
// primary, and watches the same page session (no reload) switch to the standby and show
// the failover event. The browser is driven over the DevTools protocol on a pipe.
func TestStatusPageFollowsFailover(t *testing.T) {
	p := clusters(t, "opensearch2")
	e := startSettled(t, p, defaults())

	b := startBrowser(t)
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false})
	b.call("Page.enable", nil)
	b.call("Page.navigate", map[string]any{"url": "http://" + e.Addr + "/"})
	b.waitFor(t, "page shows primary active at epoch 1", detectBound,
		`document.getElementById("active").textContent === "primary" && document.getElementById("epoch").textContent === "1" &&
		 document.querySelectorAll("#events tbody tr").length > 0`)
	// A reload would lose this mark: it proves the page changed by itself.
	b.eval(t, `window.esdrTestMark = "same page"; true`)
	e.waitProbes("primary", 16, detectBound) // a history of healthy probes in the strips, for the picture
	before := b.eval(t, `Number(document.querySelector("#events tbody tr").dataset.seq)`)

	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restartCluster(t, p.primary) })
	b.waitFor(t, "page shows standby active at epoch 2 with the failover event", detectBound,
		`document.getElementById("active").textContent === "standby" && document.getElementById("epoch").textContent === "2" &&
		 [...document.querySelectorAll("#events tbody tr.ev-decided")].some(r => r.textContent.includes("active-down")) &&
		 document.querySelector('#clusters tr[data-cluster="primary"] .v-down') !== null &&
		 document.getElementById("plan-head").textContent.includes("Epoch 2: failover primary → standby")`)
	if mark := b.eval(t, `window.esdrTestMark`); mark != "same page" {
		t.Fatalf("the page was reloaded (mark %v)", mark)
	}
	if after := b.eval(t, `Number(document.querySelector("#events tbody tr").dataset.seq)`); after.(float64) <= before.(float64) {
		t.Fatalf("newest event seq %v, was %v before the failover", after, before)
	}
	if errs := b.eval(t, `document.getElementById("conn").textContent`); errs != "live" {
		t.Fatalf("connection status %q, want live", errs)
	}
	e.waitProbes("primary", 4, detectBound) // a few more probe cells in the strips, for the picture
	b.screenshot(t, "status-page-after-failover.png")
}

// browser is headless Chromium driven over --remote-debugging-pipe: JSON messages ended by
// a NUL byte, written to its fd 3 and read from its fd 4. It is enough for this test.
type browser struct {
	w       *os.File
	session string

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpReply
}

type cdpReply struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is missing: run scripts/install.sh (it installs Debian chromium)")
	}
	toChrome, ours, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChrome, theirs, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, theirs} // fd 3, fd 4
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	proc, err := child.Start(cmd, child.Options{})
	if err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	theirs.Close()
	b := &browser{w: ours, waiting: map[int]chan cdpReply{}}
	done := make(chan struct{})
	go b.read(fromChrome, done)
	t.Cleanup(func() {
		ours.Close() // the pipe's end: chromium's cue to exit
		proc.StopT(t)
		fromChrome.Close()
		<-done
	})
	var target struct{ TargetID string }
	b.decode(t, b.call("Target.createTarget", map[string]any{"url": "about:blank"}), &target)
	var att struct{ SessionID string }
	b.decode(t, b.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}), &att)
	b.session = att.SessionID
	return b
}

func (b *browser) read(r *os.File, done chan struct{}) {
	defer close(done)
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var rep cdpReply
		if json.Unmarshal(msg[:len(msg)-1], &rep) != nil || rep.ID == 0 {
			continue // an event; this client only waits for replies
		}
		b.mu.Lock()
		ch := b.waiting[rep.ID]
		delete(b.waiting, rep.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
}

// call sends one command (to the page's session once attached) and waits for its reply.
func (b *browser) call(method string, params any) cdpReply {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	raw, _ := json.Marshal(msg)
	if _, err := b.w.Write(append(raw, 0)); err != nil {
		return cdpReply{ID: id, Error: &struct {
			Message string `json:"message"`
		}{err.Error()}}
	}
	select {
	case rep := <-ch:
		return rep
	case <-time.After(30 * time.Second):
		return cdpReply{ID: id, Error: &struct {
			Message string `json:"message"`
		}{method + ": no reply in 30s"}}
	}
}

func (b *browser) decode(t *testing.T, rep cdpReply, v any) {
	t.Helper()
	if rep.Error != nil {
		t.Fatalf("cdp: %s", rep.Error.Message)
	}
	if err := json.Unmarshal(rep.Result, v); err != nil {
		t.Fatalf("cdp: %v: %s", err, rep.Result)
	}
}

// eval evaluates a JavaScript expression in the page and returns its JSON value.
func (b *browser) eval(t *testing.T, expr string) any {
	t.Helper()
	var r struct {
		Result           struct{ Value any }
		ExceptionDetails *struct{ Text string }
	}
	b.decode(t, b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}), &r)
	if r.ExceptionDetails != nil {
		t.Fatalf("page: %s: %s", expr, r.ExceptionDetails.Text)
	}
	return r.Result.Value
}

func (b *browser) waitFor(t *testing.T, what string, within time.Duration, cond string) {
	t.Helper()
	// Until the page has loaded, its elements are missing: an exception means "not yet".
	err := poll.Until(context.Background(), within, "the page: "+what, func() bool {
		return b.eval(t, "(() => { try { return ("+cond+") === true } catch (e) { return false } })()") == true
	})
	if err != nil {
		b.screenshot(t, "status-page-timeout.png")
		t.Fatalf("%v\npage text:\n%v", err, b.eval(t, `document.body.innerText`))
	}
}

// screenshot saves the whole page as PNG under $ESDR_ARTIFACTS, or the test's artifact
// directory (kept with go test -artifacts).
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	var r struct{ Data string }
	b.decode(t, b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}), &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("ESDR_ARTIFACTS")
	if dir == "" {
		dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%s)", path, fmt.Sprintf("%d KiB", len(png)>>10))
}
