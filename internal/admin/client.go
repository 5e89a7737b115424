package admin

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/state"
)

// maxAnswerBytes bounds what the client reads from the server: a status of a few clusters
// is kilobytes, and a thousand events well under this.
const maxAnswerBytes = 8 << 20

// Client calls esdr's admin API. It is what the operator CLI uses; any Go program that
// wants to drive esdr can use it too.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	// By names the caller in the event log of commands; empty lets the server say who.
	By string
}

// NewClient makes a client for the API at baseURL ("http://127.0.0.1:9310"; a bare
// host:port means http). token is sent as a bearer token when non-empty; every call is
// bounded by timeout.
func NewClient(baseURL, token string, timeout time.Duration) (*Client, error) {
	if baseURL == "" {
		return nil, errors.New("admin: address: required, want a URL such as http://127.0.0.1:9310")
	}
	if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("admin: address %q: want a URL such as http://127.0.0.1:9310: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("admin: address %q: want http:// or https:// and a host, such as http://127.0.0.1:9310", baseURL)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("admin: timeout %v: want a positive duration", timeout)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, token: token, http: &http.Client{Timeout: timeout}}, nil
}

// SetTLS makes the client verify an https API with cfg: its RootCAs instead of the
// system roots when set, and its client certificate for an API that asks for one.
// Call it before the first call.
func (c *Client) SetTLS(cfg *tls.Config) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	c.http.Transport = tr
}

// Status returns what esdr knows: the state, every cluster's observation and the last decision.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, "status", http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// Endpoint returns where traffic goes in the current epoch.
func (c *Client) Endpoint(ctx context.Context) (epoch.Endpoint, error) {
	var ep epoch.Endpoint
	err := c.do(ctx, "endpoint", http.MethodGet, "/v1/endpoint", nil, &ep)
	return ep, err
}

// Events returns up to limit events with Seq greater than after, oldest first.
func (c *Client) Events(ctx context.Context, after uint64, limit int) ([]state.Event, error) {
	q := url.Values{}
	q.Set("after", strconv.FormatUint(after, 10))
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var body eventsBody
	err := c.do(ctx, "events", http.MethodGet, "/v1/events?"+q.Encode(), nil, &body)
	return body.Events, err
}

// Switchover asks esdr to move traffic to the cluster named to. Unless force is set, esdr
// refuses a target that is not known to be up; the refusal is an *Error with Refused().
func (c *Client) Switchover(ctx context.Context, to string, force bool) (decide.Decision, error) {
	return c.command(ctx, "switchover", commandBody{To: to, Force: force})
}

// Pause puts esdr in maintenance: it keeps observing but never acts.
func (c *Client) Pause(ctx context.Context) (decide.Decision, error) {
	return c.command(ctx, "pause", commandBody{})
}

// Resume leaves maintenance.
func (c *Client) Resume(ctx context.Context) (decide.Decision, error) {
	return c.command(ctx, "resume", commandBody{})
}

// Ack acknowledges the last automatic transition and lifts the hold-down.
func (c *Client) Ack(ctx context.Context) (decide.Decision, error) {
	return c.command(ctx, "ack", commandBody{})
}

func (c *Client) command(ctx context.Context, name string, body commandBody) (decide.Decision, error) {
	body.By = c.By
	b, err := json.Marshal(body)
	if err != nil {
		return decide.Decision{}, fmt.Errorf("admin: %s: %w", name, err)
	}
	var d decide.Decision
	err = c.do(ctx, name, http.MethodPost, "/v1/"+name, b, &d)
	return d, err
}

// do makes one call and decodes a 2xx answer into out, or any other answer into an *Error.
// Transport errors are wrapped as they are, so callers can tell "not reachable" apart.
func (c *Client) do(ctx context.Context, op, method, path string, body []byte, out any) error {
	u := c.base.String() + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("admin: %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return fmt.Errorf("admin: %s: reading the answer from %s: %w", op, c.base, err)
	}
	if len(data) > maxAnswerBytes {
		return fmt.Errorf("admin: %s: answer from %s is larger than %d bytes", op, c.base, maxAnswerBytes)
	}
	if resp.StatusCode/100 != 2 {
		var eb errorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return &Error{Op: op, Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: snippet(data)}
		}
		return &Error{Op: op, Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("admin: %s: the answer from %s is not esdr's JSON (is --addr esdr's admin API?): %w", op, c.base, err)
	}
	return nil
}

// snippet is a short, single-line excerpt of an unexpected answer for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "empty answer"
	}
	return s
}
