// Package awssign signs esdr's own requests, and those its proxy forwards, to Amazon
// OpenSearch Service (service es) and OpenSearch Serverless (service aoss) with AWS
// Signature Version 4: the SDK's v4 signer over the body's SHA-256, with credentials from
// the standard AWS chain, or a role assumed through STS.
package awssign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Options say what to sign for.
type Options struct {
	// Region is the domain's or collection's region, such as eu-west-1.
	Region string
	// Service is "es" (a managed domain) or "aoss" (a serverless collection).
	Service string
	// RoleARN, when set, is assumed through STS with the chain's credentials, and its
	// temporary credentials sign instead (refreshed before they expire).
	RoleARN string
}

// ContentSHA256 is the header carrying the payload's hash; OpenSearch Serverless
// requires it, and the managed service accepts it.
const ContentSHA256 = "X-Amz-Content-Sha256"

// Signer signs requests for one region and service. It is safe for concurrent use.
type Signer struct {
	creds           aws.CredentialsProvider
	region, service string
	v4              *v4.Signer
	now             func() time.Time
}

// New builds a signer on the standard AWS credential chain (environment, shared files
// and profile, web identity, container and instance roles), assuming o.RoleARN when set.
// It reads local configuration only; credentials are fetched at the first Sign.
func New(ctx context.Context, o Options) (*Signer, error) {
	if o.Region == "" || (o.Service != "es" && o.Service != "aoss") {
		return nil, fmt.Errorf("awssign: region %q, service %q: want a region and service es or aoss", o.Region, o.Service)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(o.Region))
	if err != nil {
		return nil, fmt.Errorf("awssign: aws configuration: %w", err)
	}
	creds := cfg.Credentials
	if o.RoleARN != "" {
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.RoleARN,
			func(ao *stscreds.AssumeRoleOptions) { ao.RoleSessionName = "esdr" }))
	}
	return WithCredentials(creds, o.Region, o.Service), nil
}

// WithCredentials is a signer on the given credentials (static ones in tests).
func WithCredentials(creds aws.CredentialsProvider, region, service string) *Signer {
	return &Signer{creds: creds, region: region, service: service, v4: v4.NewSigner(), now: time.Now}
}

// Sign adds X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token (temporary
// credentials) and Authorization to req, whose body is payload (nil for none). Call it
// last: a header set after signing is not covered (the transport's own are ignored).
func (s *Signer) Sign(ctx context.Context, req *http.Request, payload []byte) error {
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set(ContentSHA256, hash)
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("awssign: credentials: %w", err)
	}
	if !creds.HasKeys() {
		return errors.New("awssign: credentials: the AWS chain returned no access key")
	}
	if err := s.v4.SignHTTP(ctx, creds, req, hash, s.service, s.region, s.now().UTC()); err != nil {
		return fmt.Errorf("awssign: sign: %w", err)
	}
	return nil
}

// String keeps credentials out of fmt output.
func (s *Signer) String() string { return "awssign.Signer{" + s.service + " " + s.region + "}" }

// LogValue keeps credentials out of slog output.
func (s *Signer) LogValue() slog.Value { return slog.StringValue(s.String()) }
