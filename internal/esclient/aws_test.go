package esclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/esdr/esdr/internal/awssign"
	"github.com/esdr/esdr/testbed/sigv4"
)

// TestAWSSigningReachesAVerifiedClusterAndAWrongKeyIsBlind: with AWS options every
// request (a fence's PUT with its body too) is signed with the chain's credentials and
// passes a SigV4 verifier; with a wrong secret the 403 makes the node blind, not down.
func TestAWSSigningReachesAVerifiedClusterAndAWrongKeyIsBlind(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"acknowledged":true,"persistent":{},"transient":{}}`)
	}))
	defer node.Close()
	v, err := sigv4.Start(node.URL, "eu-west-1", "es")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", sigv4.AccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	for _, c := range []struct {
		name, secret string
		blind        bool
	}{
		{"the right secret", sigv4.SecretKey, false},
		{"a wrong secret", "not-the-secret", true},
	} {
		t.Setenv("AWS_SECRET_ACCESS_KEY", c.secret)
		cl, err := New([]string{v.URL}, Options{AWS: &awssign.Options{Region: "eu-west-1", Service: "es"}})
		if err != nil {
			t.Fatal(err)
		}
		err = cl.PutClusterSettings(ctx, map[string]any{"cluster.blocks.read_only": true})
		var ne *NodeError
		switch {
		case !c.blind && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.blind && (!errors.As(err, &ne) || ne.Kind != KindBlind):
			t.Errorf("%s: %v, want a blind node", c.name, err)
		}
		cl.hc.CloseIdleConnections()
	}
	if v.Passed.Load() != 1 || v.Refused.Load() != 1 {
		t.Fatalf("verifier passed %d, refused %d; want 1 and 1", v.Passed.Load(), v.Refused.Load())
	}
	if _, err := New([]string{v.URL}, Options{Username: "u", Password: "p", AWS: &awssign.Options{Region: "eu-west-1", Service: "es"}}); err == nil {
		t.Fatal("AWS signing with basic credentials accepted")
	}
}
