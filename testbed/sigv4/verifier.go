// Package sigv4 is a stand-in for Amazon OpenSearch Service's request authentication in
// tests: an HTTP server that checks each request's AWS Signature Version 4 against static
// test credentials, recomputing it with the same SDK signer esdr uses, and forwards the
// requests that pass to a test-bed node; anything else gets 403, as the service answers.
package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Test credentials: AWS's documented example key, never a real one.
const (
	AccessKey = "AKIDEXAMPLE"
	SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// maxBody bounds what the verifier reads of a request.
const maxBody = 16 << 20

// Verifier is a running verifier in front of one node.
type Verifier struct {
	*httptest.Server
	region, service string
	// Passed and Refused count requests.
	Passed, Refused atomic.Int64
}

// Start runs a verifier for region and service in front of node (a URL such as
// http://127.0.0.1:9200). Close it when done.
func Start(node, region, service string) (*Verifier, error) {
	target, err := url.Parse(node)
	if err != nil {
		return nil, fmt.Errorf("sigv4: node %q: %w", node, err)
	}
	v := &Verifier{region: region, service: service}
	rp := httputil.NewSingleHostReverseProxy(target)
	v.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err == nil {
			err = v.check(r, body)
		}
		if err != nil {
			v.Refused.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"message":%q}`, err.Error())
			return
		}
		v.Passed.Add(1)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.Header.Del("Authorization")
		rp.ServeHTTP(w, r)
	}))
	return v, nil
}

// check recomputes the request's signature over the headers it says it signed.
func (v *Verifier) check(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return fmt.Errorf("missing authentication token")
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != hash {
		return fmt.Errorf("x-amz-content-sha256 %q is not the body's hash", got)
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("x-amz-date: %w", err)
	}
	var signed []string
	for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ", ") {
		if h, ok := strings.CutPrefix(part, "SignedHeaders="); ok {
			signed = strings.Split(h, ";")
		}
	}
	clone, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	clone.ContentLength = 0
	for _, h := range signed {
		switch h {
		case "host":
		case "content-length":
			clone.ContentLength = r.ContentLength
		default:
			for _, val := range r.Header.Values(h) {
				clone.Header.Add(h, val)
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: AccessKey, SecretAccessKey: SecretKey}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, clone, hash, v.service, v.region, at); err != nil {
		return err
	}
	if want := clone.Header.Get("Authorization"); want != auth {
		return fmt.Errorf("the request signature we calculated does not match the signature you provided")
	}
	return nil
}
