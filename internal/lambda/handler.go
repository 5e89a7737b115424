// Package lambda is esdr's AWS-native path: a function invoked by the CloudWatch alarm
// on the primary's health, which runs the same decision (internal/decide) and the same
// plan of idempotent steps (internal/act: fence, unfence, switch the Route 53 record and
// any load-balancer listeners, notify) as `esdr run`, with no server of its own. Its memory between invocations is in
// Route 53: the record it owns, and a TXT marker beside it holding the epoch and the
// hold-down (see marker.go). cmd/esdr-lambda wires it to the Lambda runtime.
package lambda

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/route/elb"
	"github.com/esdr/esdr/internal/route/route53"
	"github.com/esdr/esdr/internal/state"
)

// route53API is the part of the Route 53 client the function uses: the record target's
// three calls (the marker uses two of them). The IAM policy grants exactly these.
type route53API interface {
	markerAPI
	GetChange(ctx context.Context, in *r53.GetChangeInput, opts ...func(*r53.Options)) (*r53.GetChangeOutput, error)
}

// Clients are the AWS clients the function calls through.
type Clients struct {
	// Route53 serves the record the function owns and its marker; usually a
	// *route53.Client (route53.NewClients).
	Route53 route53API
	// ELB returns the client for a listener's region, for targets.elb; usually
	// elb.NewClient. Needed only when targets.elb is configured.
	ELB func(region string) *elbv2.Client
}

// Handler handles one alarm event per call. Build it once per execution environment
// with New; the Lambda runtime calls Invoke one event at a time.
type Handler struct {
	cfg     Config
	policy  decide.Policy
	targets []act.Target // the record first, then the listeners
	marker  marker
	clients map[string]*esclient.Client
	prober  *prober
	log     *slog.Logger
	now     func() time.Time
}

// New validates what it is given and builds the targets (the record, then any
// listeners), the cluster clients and the probes.
func New(cfg Config, c Clients, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := cfg.ESDR
	t := e.Targets.Route53[0]
	rec, err := route53.NewRecord(c.Route53, t.Record(), e.Policy().Clusters)
	if err != nil {
		return nil, fmt.Errorf("lambda: targets.route53[0]: %w", err)
	}
	h := &Handler{cfg: cfg, policy: e.Policy(), targets: []act.Target{rec}, marker: newMarker(c.Route53, t.HostedZoneID, t.Name),
		clients: map[string]*esclient.Client{}, log: log, now: time.Now}
	for i, lt := range e.Targets.ELB {
		if c.ELB == nil {
			return nil, fmt.Errorf("lambda: targets.elb[%d]: no ELB client", i)
		}
		lc := lt.Route()
		tg, err := elb.New(c.ELB(lc.Region()), lc, e.Policy().Clusters)
		if err != nil {
			return nil, fmt.Errorf("lambda: targets.elb[%d]: %w", i, err)
		}
		h.targets = append(h.targets, tg)
	}
	for _, cl := range e.Clusters {
		c, err := esclient.New(cl.Nodes, cl.ClientOptions(e.ClusterHealth(cl.Name).Timeout))
		if err != nil {
			return nil, fmt.Errorf("lambda: cluster %s: %w", cl.Name, err)
		}
		h.clients[cl.Name] = c
	}
	if h.prober, err = newProber(e, h.clients); err != nil {
		return nil, err
	}
	return h, nil
}

// Invoke is the function's entry point. It returns an error (and changes nothing) for
// an event it does not recognize or an alarm it does not watch, and for a plan whose
// steps failed (Lambda's retry then runs the same idempotent plan again). A decision not
// to act — a duplicate, an OK in manual-failback mode, a standby that is down — is a
// Result, not an error: retrying would not change it.
func (h *Handler) Invoke(ctx context.Context, raw []byte) (Result, error) {
	a, err := Decode(raw)
	if err != nil {
		h.log.Error("event refused", "err", err, "bytes", len(raw))
		return Result{}, err
	}
	log := h.log.With("alarm", a.Name, "state", a.State, "shape", a.Shape)
	if a.Name != h.cfg.Alarm {
		err := fmt.Errorf("lambda: alarm %q is not the primary's alarm %q (%s); nothing done", a.Name, h.cfg.Alarm, EnvAlarm)
		log.Error("event refused", "err", err)
		return Result{}, err
	}
	res, err := h.handle(ctx, a)
	attrs := []any{"action", res.Action, "code", res.Code, "reason", res.Reason, "epoch", res.Epoch, "blocked", res.Blocked,
		"switched", res.Switched, "observations", res.Observations, "steps", res.Steps}
	if err != nil {
		log.Error("failover failed", append(attrs, "err", err)...)
		return res, err
	}
	log.Info("handled", attrs...)
	return res, nil
}

// handle reads the state, observes, decides and acts.
func (h *Handler) handle(ctx context.Context, a Alarm) (Result, error) {
	res := Result{Alarm: a, Action: string(decide.ActNone)}
	if a.State == StateInsufficient {
		res.Code, res.Reason = CodeInsufficientData, "the alarm has insufficient data: not an observation; nothing done"
		return res, nil
	}
	prev, found, err := h.marker.load(ctx)
	if err != nil {
		return res, err
	}
	now := h.now()
	if !found {
		// No marker yet: the record's owner starts on the primary at epoch 1.
		prev = decide.State{Active: h.policy.Preferred(), Epoch: 1}
	}
	obs := h.observe(ctx, a, now)
	res.Observations = summarize(obs)
	next, d := decide.Decide(prev, obs, nil, now, h.policy)
	res.Action, res.Code, res.Reason, res.From, res.To, res.Epoch = string(d.Action), string(d.Code), d.Reason, d.From, d.To, d.Epoch
	res.Blocked = blocking(d.Code)
	if !d.Transitions() {
		return res, nil
	}
	ex, err := h.executor(next)
	if err != nil {
		return res, err
	}
	err = ex.Act(ctx, next, d)
	res.Steps = steps(ex.Current())
	if err != nil {
		return res, err
	}
	if err := h.marker.store(ctx, next); err != nil {
		return res, err
	}
	res.Switched = true
	return res, nil
}

// executor builds act's executor over a store that lives for this invocation and holds
// next, the state the plan serves (act checks every step against its epoch).
func (h *Handler) executor(next decide.State) (*act.Executor, error) {
	e := h.cfg.ESDR
	opts := act.Options{Targets: h.targets, Clusters: map[string]act.Cluster{},
		FenceTimeout: e.Act.FenceTimeout, Log: h.log.With("component", "act"),
		Retry: act.Retry{Attempts: e.Act.StepAttempts, Backoff: e.Act.BackoffInitial, MaxBackoff: e.Act.BackoffMax,
			MaxElapsed: e.Act.StepMaxDuration, AttemptTimeout: e.Act.StepTimeout}}
	for _, cl := range e.Clusters {
		c := act.Cluster{Nodes: cl.Nodes, NoFence: !cl.FenceEnabled()}
		if cl.FenceEnabled() {
			c.Settings = h.clients[cl.Name]
		}
		opts.Clusters[cl.Name] = c
	}
	if w := e.Hooks.Webhook; w != nil {
		opts.Webhook = &act.Webhook{URL: w.URL.Reveal(), Timeout: w.Timeout, Header: http.Header{}}
		if w.Authorization.IsSet() {
			opts.Webhook.Header.Set("Authorization", w.Authorization.Reveal())
		}
	}
	return act.New(newMemStore(state.Record{State: next, Revision: 1}), opts)
}
