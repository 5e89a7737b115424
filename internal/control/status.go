// Package control runs esdr's loop: read the state, take the watch step's observations and
// any operator command, decide, compare-and-swap the new state, record events, and hand
// transitions to the act step. It is the only place where those pieces meet.
package control

import (
	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// Status is what `esdr status` and GET /v1/status show.
type Status struct {
	State    decide.State    `json:"state"`
	Revision uint64          `json:"revision"`
	Clusters []ClusterStatus `json:"clusters"`
	// LastDecision is the most recent decision taken by the loop (including "none").
	LastDecision decide.Decision `json:"last_decision"`
	// HoldDownActive is true while automatic transitions are suppressed.
	HoldDownActive bool `json:"hold_down_active"`
	// Plan is the most recent plan of steps (running, done, failed or superseded).
	Plan *act.Plan `json:"plan,omitempty"`
	// PendingFences names clusters esdr must still fence when it can reach them.
	PendingFences []string `json:"pending_fences,omitempty"`
}

// ClusterStatus is one configured cluster as esdr sees it.
type ClusterStatus struct {
	Name string `json:"name"`
	// Role is "primary" for the preferred cluster, "standby" otherwise.
	Role        string             `json:"role"`
	Active      bool               `json:"active"`
	Nodes       []string           `json:"nodes"`
	Observation health.Observation `json:"observation"`
}

// Endpoint is what GET /v1/endpoint answers: where traffic goes in the current epoch.
type Endpoint struct {
	Cluster string   `json:"cluster"`
	Epoch   uint64   `json:"epoch"`
	Nodes   []string `json:"nodes"`
}
