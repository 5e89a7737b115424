package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// workload is the clients: writers indexing documents with unique ids through esdr's
// proxies and a reader getting back ids already acknowledged, every operation recorded
// as invoke, then ok, fail or unknown with the cluster and epoch the proxy named; and
// writers that follow esdr's DNS record and, in a fleet, its etcd key (follower.go).
type workload struct {
	proxies   []proxyPath
	index     string
	writers   int
	pace      time.Duration // between one process's operations, to leave the JVMs CPU
	rec       *Recorder
	http      *http.Client
	followers []*follower // clients that follow esdr's DNS record (and a fleet's etcd key)

	mu    sync.Mutex
	acked []string // ids acknowledged, for the reader
	ids   []string // every id invoked, for the final reads
}

// proxyPath is one esdr member's proxy.
type proxyPath struct{ name, url string }

func newWorkload(proxies []proxyPath, index string, writers int, rec *Recorder) *workload {
	return &workload{
		proxies: proxies, index: index, writers: writers, pace: 25 * time.Millisecond, rec: rec,
		// A client's timeout: past it the operation is unknown (it may have been applied).
		http: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}},
	}
}

// run runs the clients until ctx ends.
func (w *workload) run(ctx context.Context, seed int64) {
	var wg sync.WaitGroup
	for p := range w.writers {
		wg.Go(func() { w.write(ctx, p) })
	}
	wg.Go(func() { w.read(ctx, w.writers, rand.New(rand.NewSource(seed))) })
	for i, f := range w.followers {
		wg.Go(func() { f.write(ctx, w, w.writers+1+i) })
	}
	wg.Wait()
	w.http.CloseIdleConnections()
}

// write is one writing process. It starts on proxy p (of the members') and, as a client
// given several endpoints does, moves to the next when one refuses or is unavailable.
func (w *workload) write(ctx context.Context, p int) {
	via := p % len(w.proxies)
	for n := 0; ctx.Err() == nil; n++ {
		id := fmt.Sprintf("p%d-%d", p, n)
		w.invoke(id)
		body := fmt.Sprintf(`{"process":%d,"n":%d}`, p, n)
		op := w.do(ctx, p, w.proxies[via], "write", id, http.MethodPut, "/"+w.index+"/_doc/"+id, body)
		if op.Phase == PhaseOK {
			w.ack(id)
		}
		via = w.next(via, op)
		sleep(ctx, w.pace)
	}
}

// next is the proxy after op: the same one unless it refused or was unavailable.
func (w *workload) next(via int, op Op) int {
	if (op.Phase == PhaseFail && op.Status == 0) || op.Status == http.StatusServiceUnavailable {
		return (via + 1) % len(w.proxies)
	}
	return via
}

func (w *workload) invoke(id string) {
	w.mu.Lock()
	w.ids = append(w.ids, id)
	w.mu.Unlock()
}

func (w *workload) ack(id string) {
	w.mu.Lock()
	w.acked = append(w.acked, id)
	w.mu.Unlock()
}

// read gets random acknowledged ids back. Its results are recorded for the history's
// reader; the checker's loss invariant rests on the final reads, which see every node.
func (w *workload) read(ctx context.Context, p int, rng *rand.Rand) {
	via := p % len(w.proxies)
	for ctx.Err() == nil {
		w.mu.Lock()
		id := ""
		if len(w.acked) > 0 {
			id = w.acked[rng.Intn(len(w.acked))]
		}
		w.mu.Unlock()
		if id != "" {
			via = w.next(via, w.do(ctx, p, w.proxies[via], "read", id, http.MethodGet, "/"+w.index+"/_doc/"+id, ""))
		}
		sleep(ctx, 4*w.pace)
	}
}

// do sends one request through a proxy and records its invocation and outcome. A
// request cut by the end of the run is recorded unknown, as it may have been applied.
func (w *workload) do(ctx context.Context, p int, via proxyPath, f, id, method, path, body string) Op {
	w.rec.Add(Entry{Type: TypeOp, Op: &Op{Process: p, F: f, ID: id, Phase: PhaseInvoke, Via: via.name}})
	op := Op{Process: p, F: f, ID: id, Via: via.name}
	req, err := http.NewRequestWithContext(ctx, method, via.url+path, strings.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		if resp, err = w.http.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			op.Status, op.Cluster = resp.StatusCode, resp.Header.Get("X-Esdr-Cluster")
			op.Epoch, _ = strconv.ParseUint(resp.Header.Get("X-Esdr-Epoch"), 10, 64)
		}
	}
	switch {
	case err != nil && refused(err):
		op.Phase, op.Err = PhaseFail, err.Error() // never reached the proxy
	case err != nil:
		op.Phase, op.Err = PhaseUnknown, err.Error()
	case op.Status/100 == 2 || (f == "read" && op.Status == http.StatusNotFound):
		op.Phase = PhaseOK
	case op.Status == http.StatusBadGateway || op.Status == http.StatusGatewayTimeout:
		op.Phase = PhaseUnknown // the proxy lost the cluster mid-request
	default:
		op.Phase = PhaseFail
	}
	w.rec.Add(Entry{Type: TypeOp, Op: &op})
	return op
}

// refused reports whether err is a failed connect: the request was never sent.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// invoked returns every id a writer tried.
func (w *workload) invoked() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.ids...)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
