package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/esdr/esdr/internal/awssign"
)

// AWS Signature Version 4 for clusters with Upstream.AWS (Amazon OpenSearch Service,
// OpenSearch Serverless). A signature names the host, the time and the payload, so:
//
//   - each attempt is signed for the node it is sent to, with its own X-Amz-Date, right
//     before it is sent; a retry on another node is signed again;
//   - the proxy signs only for the cluster's configured nodes (a pool naming another
//     node fails closed), so it never lends its identity to a host it was not given;
//   - the body is read whole first, a chunked one too, up to max_signed_body, hashed, and
//     sent with a Content-Length; a larger one is answered 413 before anything is sent;
//   - what the client sent to authenticate itself (Authorization, and X-Amz-Date,
//     X-Amz-Security-Token, X-Amz-Content-Sha256 of a signature of its own) is dropped:
//     a client signing for the domain's host would break at the first failover anyway.
//
// The signature and the credentials behind it are never logged: only the signer's
// region and service are printable (awssign.Signer's String).

// signing is a cluster's signer with the nodes it may sign for.
type signing struct {
	s     *awssign.Signer
	nodes map[string]bool
}

// signing checks the Upstream's AWS settings; nil when it does not sign.
func (u Upstream) signing(withAuth bool) (*signing, error) {
	switch {
	case u.AWS == nil:
		return nil, nil
	case withAuth:
		return nil, errors.New("aws: set with username/password or api_key, want one of them: aws signs every request")
	case len(u.Nodes) == 0:
		return nil, errors.New("aws: no nodes, want the cluster's configured nodes: the proxy signs for those alone")
	}
	sg := &signing{s: u.AWS, nodes: make(map[string]bool, len(u.Nodes))}
	for _, n := range u.Nodes {
		sg.nodes[n] = true
	}
	return sg, nil
}

// clientAuthFields are what a client sends to authenticate itself; the proxy's own
// signature replaces them.
var clientAuthFields = []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", awssign.ContentSHA256}

// setPayload makes payload the body of out, with its Content-Length.
func setPayload(out *http.Request, payload []byte) {
	out.ContentLength = int64(len(payload))
	out.Body, out.GetBody = http.NoBody, nil
	if len(payload) > 0 {
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
		out.Body, _ = out.GetBody()
	}
}

// sign drops the client's own authentication from req and signs it over payload (its
// body, set by setPayload) for the node it is addressed to. Nothing may change req's
// header afterwards: a field added later would not be covered.
func (sg *signing) sign(ctx context.Context, req *http.Request, payload []byte) error {
	for _, k := range clientAuthFields {
		delete(req.Header, k)
	}
	if err := sg.s.Sign(ctx, req, payload); err != nil {
		return newESError(http.StatusBadGateway, typeSigningFailed,
			fmt.Sprintf("esdr could not sign the request with AWS SigV4 (%s), nothing was sent: %v", sg.s, err))
	}
	return nil
}

// payloadFor returns the whole request body when pl signs (nil when it does not, or for
// a request without a body), read from the client up to max_signed_body.
func (p *Proxy) payloadFor(ctx context.Context, pl *pool, body *replay) ([]byte, error) {
	if pl.sign == nil || body == nil {
		return nil, nil
	}
	b, err := body.whole(p.cfg.MaxSignedBody)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, errTooLarge):
		return nil, newESError(http.StatusRequestEntityTooLarge, typeBodyTooLarge, fmt.Sprintf(
			"the request body is larger than proxy.max_signed_body (%d bytes): requests to cluster %q are signed with AWS SigV4, "+
				"which covers the whole body, so esdr reads it whole before sending it; send smaller requests (split the _bulk) or raise proxy.max_signed_body",
			p.cfg.MaxSignedBody, pl.cluster))
	case ctx.Err() != nil:
		return nil, errClientGone // a stalled body is answered 408 by the server
	case errors.Is(err, errBodyGone):
		return nil, newESError(http.StatusBadGateway, typeUpstreamUnreachable, fmt.Sprintf(
			"not retried on cluster %q, which signs with AWS SigV4: part of the request body was sent to an earlier attempt and not kept (larger than max_retry_body, %d bytes)",
			pl.cluster, p.cfg.MaxRetryBody))
	}
	return nil, newESError(http.StatusBadRequest, typeBadRequest, fmt.Sprintf("the request body could not be read: %v", err))
}
