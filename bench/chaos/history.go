package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// A history is everything one run saw, in JSON lines: the run's parameters, every client
// operation (invoke, then ok, fail or unknown), every esdr event, every fault's start and
// end, the final reads of both clusters and esdr's final status. The checker reads
// nothing else, so a saved history can be checked again, or by hand, without a cluster.

// Entry types.
const (
	TypeMeta  = "meta"
	TypeOp    = "op"
	TypeEvent = "event"
	TypeFault = "fault"
	TypeRead  = "read"
	TypeFinal = "final"
)

// Operation phases, as Jepsen names them: an unknown operation may or may not have been
// applied (the request was sent and no answer came), a failed one was not.
const (
	PhaseInvoke  = "invoke"
	PhaseOK      = "ok"
	PhaseFail    = "fail"
	PhaseUnknown = "unknown"
	PhaseStart   = "start" // a fault's
	PhaseEnd     = "end"
)

// Entry is one line of a history; exactly one of the pointer fields is set, as Type says.
type Entry struct {
	Type  string    `json:"type"`
	At    time.Time `json:"at"`
	Meta  *Meta     `json:"meta,omitempty"`
	Op    *Op       `json:"op,omitempty"`
	Event *Event    `json:"event,omitempty"`
	Fault *Fault    `json:"fault,omitempty"`
	Phase string    `json:"phase,omitempty"` // of a fault
	Read  *Read     `json:"read,omitempty"`
	Final *Final    `json:"final,omitempty"`
}

// Meta is the run's identity and the policy the checker judges it by.
type Meta struct {
	Seed     int64         `json:"seed"`
	Engine   string        `json:"engine"`
	Topology string        `json:"topology,omitempty"` // embedded (when empty) or fleet
	Family   string        `json:"family"`
	Clusters []string      `json:"clusters"` // preferred first
	Interval time.Duration `json:"interval"` // esdr's probe interval and timeout
	HoldDown time.Duration `json:"hold_down"`
	// Bound is the longest a lost quorum of the active cluster may last without a
	// failover (the policy's detection time plus slack for a loaded machine).
	Bound time.Duration `json:"bound"`
	// Grace is how long after a fault ends its effect may still justify a failover: the
	// success threshold has to pass before esdr sees the cluster up again.
	Grace time.Duration `json:"grace"`
	// Mirror: esdr's mirror mode was on, so every acknowledged write must also be on
	// the final active cluster.
	Mirror bool `json:"mirror,omitempty"`
}

// Op is one client operation. Cluster and Epoch are, through the proxy, its
// X-Esdr-Cluster and X-Esdr-Epoch answer headers; for a following client, what the etcd
// key or DNS record named (a record names no epoch: the checker gives it one).
type Op struct {
	Process int    `json:"process"`
	F       string `json:"f"` // write or read
	ID      string `json:"id"`
	Phase   string `json:"phase"`
	Cluster string `json:"cluster,omitempty"`
	Epoch   uint64 `json:"epoch,omitempty"`
	Status  int    `json:"status,omitempty"`
	// Via is the path the client took: an esdr member's proxy by its name, or "etcd-key"
	// (straight to a node of the cluster the etcd key named, Cluster and Epoch the key's).
	Via string `json:"via,omitempty"`
	Err string `json:"err,omitempty"`
}

// Event is one esdr event as /v1/events answers it, decoded into the fields the checker
// reads.
type Event struct {
	Seq     uint64    `json:"seq"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Code    string    `json:"code,omitempty"`
	Cluster string    `json:"cluster,omitempty"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Epoch   uint64    `json:"epoch"`
	Message string    `json:"message"`
}

// Fault is what the nemesis did and what it means for the invariants.
type Fault struct {
	ID     int      `json:"id"`
	Kind   string   `json:"kind"`   // kill, stop, partition, unauthorized, slow, esdr-kill, esdr-stop, etcd-kill, etcd-stop, flap, disk-full, client-partition
	Target string   `json:"target"` // a cluster's name, "esdr" or "etcd"
	Nodes  []string `json:"nodes,omitempty"`
	// Members are the esdr members hit (or, in a partition of one member, cut off) or
	// the etcd member.
	Members []string `json:"members,omitempty"`
	// Latency is how late a slow fault's nodes answered esdr.
	Latency time.Duration `json:"latency,omitempty"`
	// QuorumLost: the fault leaves the target cluster without a majority of its nodes,
	// so it can neither elect nor accept writes: a failover is due if it is active.
	QuorumLost bool `json:"quorum_lost,omitempty"`
	// EsdrCut: esdr (and its proxy) cannot reach the target cluster although its nodes
	// serve: a failover is allowed, not required (one vantage point cannot tell).
	EsdrCut bool `json:"esdr_cut,omitempty"`
}

// Read is the final read of one cluster: which of the written ids it holds.
type Read struct {
	Cluster string   `json:"cluster"`
	Found   []string `json:"found"`
	Err     string   `json:"err,omitempty"`
}

// Final is esdr's status after healing, once its plan had time to finish.
type Final struct {
	Active        string   `json:"active"`
	Epoch         uint64   `json:"epoch"`
	PlanEpoch     uint64   `json:"plan_epoch,omitempty"`
	PlanStatus    string   `json:"plan_status,omitempty"`
	PlanSteps     []string `json:"plan_steps,omitempty"` // "name: status (error)"
	PendingFences []string `json:"pending_fences,omitempty"`
	Err           string   `json:"err,omitempty"`
}

// Recorder appends entries to a history file; safe for concurrent use.
type Recorder struct {
	mu  sync.Mutex
	w   *bufio.Writer
	f   *os.File
	err error
	end bool // closed
}

// NewRecorder creates (truncates) the history file at path.
func NewRecorder(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("chaos: history: %w", err)
	}
	return &Recorder{f: f, w: bufio.NewWriter(f)}, nil
}

// Add writes one entry, stamping At with now when it is zero. The first write error is
// kept and returned by Close.
func (r *Recorder) Add(e Entry) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	b, err := json.Marshal(e)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.end {
		return // a late client answer after the run stopped recording
	}
	if err == nil {
		_, err = r.w.Write(append(b, '\n'))
	}
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("chaos: history: %w", err)
	}
}

// Close flushes and closes the file; closing again returns the same error.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.end {
		return r.err
	}
	r.end = true
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = fmt.Errorf("chaos: history: %w", err)
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = fmt.Errorf("chaos: history: %w", err)
	}
	return r.err
}

// ReadHistory decodes a history, rejecting unknown fields: a history the checker
// half-understands would be checked wrongly.
func ReadHistory(rd io.Reader) ([]Entry, error) {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var out []Entry
	for {
		var e Entry
		err := dec.Decode(&e)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("chaos: history entry %d: %w", len(out)+1, err)
		}
		out = append(out, e)
	}
}
