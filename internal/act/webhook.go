package act

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// DefaultWebhookTimeout bounds one POST when the Webhook sets no timeout.
const DefaultWebhookTimeout = 5 * time.Second

// maxWebhookBody is how much of a receiver's answer is read (and thrown away), so the
// connection can be reused without trusting the receiver's size.
const maxWebhookBody = 64 << 10

// Webhook tells a receiver (chat, paging, an audit service) of every transition with a
// JSON POST. It is the plan's last step: once per epoch, journaled, so a resumed plan
// that already notified does not notify again. Delivery is at least once (esdr can die
// between the POST and the journal write); receivers dedupe on the epoch, which is also
// sent as the Idempotency-Key header.
type Webhook struct {
	URL string
	// Header is added to every request, e.g. Authorization.
	Header http.Header
	// Timeout bounds one attempt; retries follow the executor's Retry.
	Timeout time.Duration
	// Client replaces http.DefaultClient's transport (tests, proxies).
	Client *http.Client
}

// Payload is the webhook's JSON body.
type Payload struct {
	Epoch  uint64        `json:"epoch"`
	From   string        `json:"from"`
	To     string        `json:"to"`
	Action decide.Action `json:"action"`
	Code   decide.Code   `json:"code"`
	Reason string        `json:"reason"`
	At     time.Time     `json:"at"`
}

func payloadOf(p *Plan) Payload {
	return Payload{Epoch: p.Epoch, From: p.From, To: p.To, Action: p.Action, Code: p.Code, Reason: p.Reason, At: p.At}
}

func (w *Webhook) validate() error {
	if w == nil {
		return nil
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("act: webhook: url %q: want http(s)://host/path", redactURL(w.URL))
	}
	return nil
}

func (w *Webhook) name() string {
	u, err := url.Parse(w.URL)
	if err != nil {
		return "webhook"
	}
	return u.Host
}

// post sends one notification. A 2xx is delivered; 408, 429 and 5xx are worth another
// try; any other status will not change by retrying and fails the step at once.
func (w *Webhook) post(ctx context.Context, pl Payload) error {
	body, err := json.Marshal(pl)
	if err != nil {
		return fmt.Errorf("act: webhook: %w", err)
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("act: webhook %s: %w", w.name(), err))
	}
	for k, vs := range w.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "esdr")
	req.Header.Set("Idempotency-Key", "esdr-epoch-"+strconv.FormatUint(pl.Epoch, 10))
	hc := w.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, which may carry a token
		}
		return fmt.Errorf("act: webhook %s: %w", w.name(), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxWebhookBody))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("act: webhook %s: HTTP %d", w.name(), c)
	default:
		return permanent(fmt.Errorf("act: webhook %s: HTTP %d", w.name(), c))
	}
}

// redactURL keeps a URL's scheme and host only: webhook tokens live in the user info,
// the query, and, for chat webhooks (Slack's /services/T…/B…/<token>), the path.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL without a host, not shown)"
	}
	out := url.URL{Scheme: u.Scheme, Host: u.Host}
	if u.Path != "" || u.RawQuery != "" {
		return out.String() + "/…"
	}
	return out.String()
}
