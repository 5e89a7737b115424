package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed/netfault"
)

// forwarderCmd is the hidden command `testbed forward` runs detached: `testbed forwarder
// CLUSTER-DIR HOST:PORT...`. The cluster folder is on its command line so that the state
// file's pid is only trusted while it is still this process (testbed.Cluster.ForwardState).
const forwarderCmd = "forwarder"

// forwarderReady is what the forwarder writes to fd 3 once it listens, for the command
// that started it: the forwarded URLs and its control address.
type forwarderReady struct {
	URLs    []string `json:"urls"`
	Control string   `json:"control"`
}

// modes are the forwarder modes the control API takes: traffic passes, or is dropped
// silently like across a partition.
var modes = map[string]netfault.Mode{"pass": netfault.Pass, "blackhole": netfault.Blackhole}

// runForwarder checks the hidden command's arguments and its readiness pipe (fd 3) before
// touching either: run by hand, fd 3 may be any file of the caller's.
func runForwarder(ctx context.Context, args []string) error {
	bad := len(args) < 2 || !filepath.IsAbs(args[0])
	for _, a := range args[min(1, len(args)):] {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			bad = true
		}
	}
	if bad {
		return usagef("testbed %s: want CLUSTER-DIR HOST:PORT...; it is started by testbed forward", forwarderCmd)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(3, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return usagef("testbed %s: fd 3 is not the readiness pipe; it is started by testbed forward", forwarderCmd)
	}
	return serveForwarder(ctx, args[1:], os.NewFile(3, "ready"))
}

// serveForwarder forwards every target through netfault, serves the control API on a
// loopback port, reports both on ready, and runs until ctx ends (SIGTERM from `testbed
// unforward` or `testbed down`).
func serveForwarder(ctx context.Context, targets []string, ready io.WriteCloser) error {
	g, err := netfault.ForwardAll(targets)
	if err != nil {
		return err
	}
	defer g.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("testbed forwarder: control: %w", err)
	}
	mode := "pass"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mode", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, mode) })
	mux.HandleFunc("PUT /mode", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 64))
		want := strings.TrimSpace(string(b))
		m, ok := modes[want]
		if !ok {
			http.Error(w, fmt.Sprintf("mode %q: want pass or blackhole", want), http.StatusBadRequest)
			return
		}
		g.Mode(m) // applied to every connection before the answer
		mode = want
		fmt.Fprintln(w, mode)
	})
	srv := &http.Server{Handler: serialized(mux), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	err = json.NewEncoder(ready).Encode(forwarderReady{URLs: g.URLs(), Control: ln.Addr().String()})
	ready.Close()
	if err != nil {
		err = fmt.Errorf("testbed forwarder: report readiness: %w", err)
	} else {
		fmt.Fprintf(os.Stderr, "%s testbed forwarder: %s -> %s, control %s\n",
			time.Now().Format(time.RFC3339), strings.Join(g.URLs(), " "), strings.Join(targets, " "), ln.Addr())
		select {
		case <-ctx.Done():
		case err = <-served:
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// serialized runs one control request at a time, so that the mode it reports is the
// mode in force.
func serialized(h http.Handler) http.Handler {
	one := make(chan struct{}, 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case one <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		defer func() { <-one }()
		h.ServeHTTP(w, r)
	})
}

// forwarderMode asks the forwarder at control for its mode, or sets it when set is not
// empty, and returns the mode in force.
func forwarderMode(ctx context.Context, control, set string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	method, body := http.MethodGet, io.Reader(nil)
	if set != "" {
		method, body = http.MethodPut, strings.NewReader(set)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+control+"/mode", body)
	if err != nil {
		return "", fmt.Errorf("testbed: forwarder control %s: %w", control, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("testbed: forwarder control %s: %w", control, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("testbed: forwarder control %s: HTTP %d: %s", control, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return strings.TrimSpace(string(b)), nil
}
