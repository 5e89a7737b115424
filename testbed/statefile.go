package testbed

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// StateFile is the name of the file, in the state folder, where the `testbed` command
// keeps the clusters it started (their pids and ports), between its runs.
const StateFile = "testbed.json"

type nodeRecord struct {
	Name          string   `json:"name"`
	HTTPPort      int      `json:"http_port"`
	TransportPort int      `json:"transport_port"`
	Dir           string   `json:"dir"`
	Log           string   `json:"log"`
	PID           int      `json:"pid"`
	Detached      bool     `json:"detached"`
	Command       []string `json:"command"`
}

type clusterRecord struct {
	Name   string       `json:"name"`
	Engine string       `json:"engine"`
	Dir    string       `json:"dir"`
	Nodes  []nodeRecord `json:"nodes"`
	// Forward is the cluster's forwarder process, if `testbed forward` started one.
	Forward *Forward `json:"forward,omitempty"`
}

type stateRecord struct {
	Clusters []clusterRecord `json:"clusters"`
}

// LoadClusters reads the clusters recorded in dir; none if there is no state file yet.
// A node's state is read afresh from /proc, so a recorded pid is only trusted while its
// process is still this node's.
func LoadClusters(dir string) ([]*Cluster, error) {
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("testbed: state: %w", err)
	}
	var rec stateRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("testbed: state %s: %w", filepath.Join(dir, StateFile), err)
	}
	clusters := make([]*Cluster, 0, len(rec.Clusters))
	for _, cr := range rec.Clusters {
		c := &Cluster{Name: cr.Name, Engine: cr.Engine, Dir: cr.Dir, Forward: cr.Forward, formTimeout: DefaultFormTimeout}
		for _, nr := range cr.Nodes {
			if len(nr.Command) == 0 {
				return nil, fmt.Errorf("testbed: state: node %s has no command", nr.Name)
			}
			c.Nodes = append(c.Nodes, &Node{
				Name: nr.Name, HTTPPort: nr.HTTPPort, TransportPort: nr.TransportPort,
				Dir: nr.Dir, LogPath: nr.Log, command: nr.Command, detached: nr.Detached, pid: nr.PID,
			})
		}
		clusters = append(clusters, c)
	}
	return clusters, nil
}

// SaveClusters records clusters in dir, replacing the state file atomically; with no
// cluster left it removes the file.
func SaveClusters(dir string, clusters []*Cluster) error {
	path := filepath.Join(dir, StateFile)
	if len(clusters) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("testbed: state: %w", err)
		}
		return nil
	}
	var rec stateRecord
	for _, c := range clusters {
		cr := clusterRecord{Name: c.Name, Engine: c.Engine, Dir: c.Dir, Forward: c.Forward}
		for _, n := range c.Nodes {
			cr.Nodes = append(cr.Nodes, nodeRecord{
				Name: n.Name, HTTPPort: n.HTTPPort, TransportPort: n.TransportPort,
				Dir: n.Dir, Log: n.LogPath, PID: n.PID(), Detached: n.detached, Command: n.command,
			})
		}
		rec.Clusters = append(rec.Clusters, cr)
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("testbed: state: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("testbed: state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("testbed: state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("testbed: state: %w", err)
	}
	return nil
}

// NodeStatus is one node as `testbed status` shows it.
type NodeStatus struct {
	Name          string `json:"name"`
	HTTP          string `json:"http"`
	TransportPort int    `json:"transport_port"`
	PID           int    `json:"pid"`
	State         State  `json:"state"`
}

// ClusterStatus is one cluster as `testbed status` shows it.
type ClusterStatus struct {
	Name   string       `json:"name"`
	Engine string       `json:"engine"`
	Dir    string       `json:"dir"`
	Nodes  []NodeStatus `json:"nodes"`
	// Forward is the cluster's forwarder (testbed forward); absent without one.
	Forward *ForwardStatus `json:"forward,omitempty"`
}

// Status reports every node's address, pid and process state.
func (c *Cluster) Status() ClusterStatus {
	s := ClusterStatus{Name: c.Name, Engine: c.Engine, Dir: c.Dir, Nodes: []NodeStatus{}, Forward: c.forwardStatus()}
	for _, n := range c.Nodes {
		st := n.State()
		pid := n.PID()
		if st == Stopped {
			pid = 0
		}
		s.Nodes = append(s.Nodes, NodeStatus{Name: n.Name, HTTP: n.URL(), TransportPort: n.TransportPort, PID: pid, State: st})
	}
	return s
}
