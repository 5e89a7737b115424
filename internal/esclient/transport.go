package esclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/tlsfile"
)

// newTransport builds the one transport shared by all requests: bounded dial, TLS
// handshake and header waits, a small idle pool, and no proxy from the environment (a DR
// prober must see the cluster, not a proxy's opinion of it).
func newTransport(opts Options) (*http.Transport, error) {
	tlsConf, err := tlsfile.Peer{CAFile: opts.CAFile, CertFile: opts.CertFile, KeyFile: opts.KeyFile,
		ServerName: opts.ServerName, InsecureSkipVerify: opts.InsecureSkipVerify}.Config()
	if err != nil {
		return nil, fmt.Errorf("esclient: tls: %w", err)
	}
	dialer := &net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}, nil
}

// send performs one request on one node, bounded by ctx and Timeout, and reads at most
// MaxBody bytes of the answer.
func (c *Client) send(ctx context.Context, node, method, path string, payload []byte) (int, []byte, *NodeError) {
	op := method + " " + strings.SplitN(path, "?", 2)[0]
	fail := func(k ErrKind, err error) (int, []byte, *NodeError) {
		return 0, nil, &NodeError{Node: node, Op: op, Kind: k, Err: err}
	}
	reqCtx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(reqCtx, method, node+path, rd)
	if err != nil {
		return fail(KindBadResponse, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.sign != nil {
		// No credentials, no signature: nothing is learned about the cluster (blind).
		if err := c.sign.Sign(reqCtx, req, payload); err != nil {
			return fail(KindBlind, err)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL
		}
		return fail(transportKind(reqCtx, err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBody+1))
	if err != nil {
		k, e := transportKind(reqCtx, err)
		if k == KindUnreachable {
			k = KindBadResponse // it did answer; the body broke off
		}
		return fail(k, e)
	}
	if int64(len(b)) > c.opts.MaxBody {
		return fail(KindBadResponse, fmt.Errorf("response body over %d bytes", c.opts.MaxBody))
	}
	return resp.StatusCode, b, nil
}
