package watch

import (
	"fmt"
	"strings"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
)

// members is the cluster's master-eligible nodes as last seen by a healthy cluster: node
// ID → http.publish_address. It is what a majority is counted against.
type members map[string]string

// quorum says whether a majority of the master-eligible nodes answer on their own.
type quorum struct {
	Known             bool // every master-eligible node is one esdr probes, so the count means something
	Have, Need, Total int
	Master            string // an elected master some answering node knows, "" for none
}

// quorumOf counts the answering master-eligible nodes. The count is Known only when
// esdr probes every master-eligible node (matched by ID, or by publish address for a node
// not yet identified): a node esdr does not ask can be neither counted nor missed.
func quorumOf(views []nodeView, m members) quorum {
	var q quorum
	for _, v := range views {
		if v.Answered && v.Master != "" && q.Master == "" {
			q.Master = v.Master
		}
	}
	if len(m) == 0 {
		return q
	}
	q.Known, q.Need, q.Total = true, len(m)/2+1, len(m)
	for id, addr := range m {
		found := false
		for _, v := range views {
			if v.ID == id || (v.ID == "" && addr != "" && hostPort(v.URL) == addr) {
				found = true
				if v.Answered {
					q.Have++
				}
				break
			}
		}
		if !found {
			q.Known = false
		}
	}
	return q
}

// lost reports whether the cluster cannot have a master: a majority of the
// master-eligible nodes is silent, or (when that cannot be counted) no answering node
// knows an elected master.
func (q quorum) lost() bool {
	if q.Known {
		return q.Have < q.Need
	}
	return q.Master == ""
}

func (q quorum) String() string {
	master := "no elected master known"
	if q.Master != "" {
		master = "master " + q.Master
	}
	if q.Known {
		return fmt.Sprintf("%d of %d master-eligible nodes answer, %s", q.Have, q.Total, master)
	}
	return master
}

// judgeControlPlaneDown classifies a probe whose cluster-level health did not answer
// (globalErr), from every node's own view. In order:
//   - a node refused esdr (401/403, an untrusted certificate): blind, whatever else;
//   - no node answered at all: the kind of the failure (unreachable, timeout, …);
//   - no quorum: no_quorum, at once — the surviving nodes' own fault detection would take
//     seconds to say so, and the cluster cannot take writes meanwhile;
//   - reads fail on every node that answered: the failure kind (users are hurt);
//   - otherwise stalled: a majority answers and reads are served (or no canary exists to
//     say otherwise), so the cluster is electing a master and heals by itself.
func judgeControlPlaneDown(globalErr error, views []nodeView, m members, requireMaster bool) Result {
	for _, v := range views {
		if v.Err != nil && esclient.IsBlind(v.Err) {
			return Result{Kind: health.KindBlind, Detail: blindDetail(v.Err), Node: v.URL}
		}
	}
	if esclient.IsBlind(globalErr) {
		return Result{Kind: health.KindBlind, Detail: blindDetail(globalErr), Node: nodeOf(globalErr)}
	}
	if !requireMaster && esclient.IsNoMaster(globalErr) {
		return Result{Kind: health.KindDegraded, Detail: "no elected master: " + globalErr.Error(), Node: nodeOf(globalErr)}
	}
	answering, served, failed := 0, 0, 0
	for _, v := range views {
		if !v.Answered {
			continue
		}
		answering++
		switch v.Canary {
		case canaryOK:
			served++
		case canaryFailed:
			failed++
		}
	}
	cause := globalErr.Error()
	if answering == 0 {
		if esclient.IsNoMaster(globalErr) {
			return Result{Kind: health.KindRed, Detail: "no elected master: " + cause, Node: nodeOf(globalErr)}
		}
		return Result{Kind: esclient.Classify(globalErr), Detail: cause, Node: nodeOf(globalErr)}
	}
	q := quorumOf(views, m)
	if q.lost() {
		return Result{Kind: health.KindNoQuorum, Node: nodeOf(globalErr), Detail: fmt.Sprintf("quorum lost: %s (%d of %d nodes answer); %s",
			q, answering, len(views), cause)}
	}
	if failed > 0 && served == 0 {
		k := esclient.Classify(globalErr)
		if k.Passing() || k == health.KindBlind {
			k = health.KindTimeout
		}
		return Result{Kind: k, Detail: fmt.Sprintf("control plane stalled and reads fail on every answering node (%s); %s", q, cause)}
	}
	reads := fmt.Sprintf("reads served by %d of %d answering nodes", served, answering)
	if served == 0 {
		reads = "no canary index to test reads"
	}
	return Result{Kind: health.KindStalled, Detail: fmt.Sprintf("control plane stalled (%s): %s, %s; waiting for the cluster to elect a master",
		shortCause(cause), q, reads)}
}

// quorumStillThere turns an answered cluster health into no_quorum when a majority of
// the master-eligible nodes is silent: the surviving master keeps reporting green until
// its own follower checks give up, while writes (which wait for replicas on the silent
// nodes) already hang. Only a counted quorum can say so; the fallback rule cannot, since
// the answer itself came through a master.
func quorumStillThere(r Result, views []nodeView, m members) Result {
	q := quorumOf(views, m)
	if !q.Known || !q.lost() {
		return r
	}
	return Result{Kind: health.KindNoQuorum, Node: r.Node,
		Detail: fmt.Sprintf("quorum lost: %s, although the cluster health still says: %s", q, r.Detail)}
}

// blindDetail says what esdr cannot see through, and what to fix.
func blindDetail(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "HTTP 401"):
		return "esdr's credentials were refused (HTTP 401); fix clusters[].auth: " + msg
	case strings.Contains(msg, "HTTP 403"):
		return "esdr's user lacks a privilege (HTTP 403); grant monitor (and manage for fencing): " + msg
	case strings.Contains(msg, "file descriptors"):
		return "esdr is out of file descriptors; raise its limit (LimitNOFILE): " + msg
	}
	return "esdr does not trust the cluster's certificate; fix clusters[].tls: " + msg
}

// shortCause keeps the end of a joined error: the part that says what happened.
func shortCause(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) <= 160 {
		return s
	}
	return "…" + s[len(s)-160:]
}
