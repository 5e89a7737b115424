package awssign

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esdr/esdr/testbed/peers"
)

// TestARoleIsAssumedThroughSTS: with role_arn, New assumes the role through a real STS
// (moto's) with the chain's credentials, and requests are signed with the role's
// temporary credentials — their session token sent, the chain's own key nowhere.
func TestARoleIsAssumedThroughSTS(t *testing.T) {
	moto := peers.Moto(t, "../..")
	dir := t.TempDir()
	empty := filepath.Join(dir, "none")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The chain's credentials: a base identity from the environment, nothing from the
	// user's files or an instance's metadata.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDBASEIDENTITY", "AWS_SECRET_ACCESS_KEY": "base-secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_STS": moto,
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	s, err := New(ctx, Options{Region: "eu-west-1", Service: "es", RoleARN: "arn:aws:iam::123456789012:role/esdr"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, "https://search-x.eu-west-1.es.amazonaws.com/_cluster/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sign(ctx, req, nil); err != nil {
		t.Fatalf("sign with an assumed role: %v", err)
	}
	auth := req.Header.Get("Authorization")
	if strings.Contains(auth, "AKIDBASEIDENTITY") || !strings.Contains(auth, "/eu-west-1/es/aws4_request") {
		t.Fatalf("Authorization %q: want the role's key for eu-west-1/es, not the base identity's", auth)
	}
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(auth, "Credential="+creds.AccessKeyID+"/") || creds.SessionToken == "" ||
		req.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		t.Fatalf("signed with %q and token %q, want STS's temporary key %s and its session token",
			auth, req.Header.Get("X-Amz-Security-Token"), creds.AccessKeyID)
	}
	if creds.Source == "" || !strings.Contains(creds.Source, "AssumeRole") {
		t.Errorf("credentials from %q, want the AssumeRole provider", creds.Source)
	}
}
