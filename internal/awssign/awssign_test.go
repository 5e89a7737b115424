package awssign

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/esdr/esdr/testbed/sigv4"
)

// The SDK signer this package drives, held to AWS's published Signature Version 4
// examples: the test suite's get-vanilla request, and the General Reference's
// IAM ListUsers example (both with the documented example key, at 2015-08-30T12:36:00Z).
func TestTheSignerMatchesAWSPublishedExamples(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for _, c := range []struct {
		name, url, service string
		header             map[string]string
		want               string
	}{
		{"get-vanilla", "https://example.amazonaws.com/", "service", nil,
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
				"Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"iam-list-users", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", "iam",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
				"Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, empty, c.service, "us-east-1", at); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("Authorization"); got != c.want {
				t.Fatalf("Authorization\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestSignedRequestsPassAVerifierAndOthersDoNot: requests signed by this package, with a
// body, a query and a path needing escapes, pass a verifier recomputing the signature
// from the same static credentials; a wrong key, a changed body and no signature fail.
func TestSignedRequestsPassAVerifierAndOthersDoNot(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("the verifier forwarded the signature")
		}
		io.Copy(w, r.Body)
	}))
	defer node.Close()
	v, err := sigv4.Start(node.URL, "eu-west-1", "es")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	good := WithCredentials(credentials.NewStaticCredentialsProvider(sigv4.AccessKey, sigv4.SecretKey, ""), "eu-west-1", "es")
	wrong := WithCredentials(credentials.NewStaticCredentialsProvider(sigv4.AccessKey, "not-the-secret", ""), "eu-west-1", "es")
	send := func(s *Signer, method, path string, body []byte, tamper bool) int {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, v.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if s != nil {
			if err := s.Sign(context.Background(), req, body); err != nil {
				t.Fatal(err)
			}
		}
		if tamper {
			req.Body = io.NopCloser(strings.NewReader(strings.ToUpper(string(body))))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := []byte(`{"persistent":{"cluster.blocks.read_only":true}}`)
	for _, c := range []struct {
		name   string
		s      *Signer
		method string
		path   string
		body   []byte
		tamper bool
		want   int
	}{
		{"a GET with a query", good, "GET", "/_cluster/health?timeout=2s&local=true", nil, false, 200},
		{"a PUT with a body", good, "PUT", "/_cluster/settings", body, false, 200},
		{"a path with escapes", good, "GET", "/logs-2026.12.06%2A/_count", nil, false, 200},
		{"a wrong secret", wrong, "GET", "/", nil, false, 403},
		{"a changed body", good, "PUT", "/_cluster/settings", body, true, 403},
		{"no signature", nil, "GET", "/", nil, false, 403},
	} {
		if got := send(c.s, c.method, c.path, c.body, c.tamper); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestNewRefusesWhatItCannotSignFor(t *testing.T) {
	if _, err := New(context.Background(), Options{Region: "eu-west-1", Service: "s3"}); err == nil {
		t.Fatal("service s3 accepted")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	s, err := New(context.Background(), Options{Region: "eu-west-1", Service: "aoss"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://x.eu-west-1.aoss.amazonaws.com/", nil)
	if err := s.Sign(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.Header.Get("Authorization"), "/eu-west-1/aoss/aws4_request") || strings.Contains(s.String(), "secret") {
		t.Fatalf("Authorization %q, String %q", req.Header.Get("Authorization"), s.String())
	}
}
