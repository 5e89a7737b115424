package route53

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/esdr/esdr/testbed/peers"
)

// moto is shared by the package's tests and reset before each; TestMain stops it.
var moto = peers.SharedMoto{RepoRoot: "../../.."}

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// startMoto returns the URL of the freshly reset moto server (Route 53 and CloudWatch).
func startMoto(t *testing.T) string { return moto.URL(t) }

// clients returns Route 53 and CloudWatch clients on moto with static credentials, and
// the Route 53 client's call counts.
func clients(t *testing.T, url string) (*r53.Client, *cloudwatch.Client, *peers.Calls) {
	t.Helper()
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	rc, cw := NewClients(cfg, AWSConfig{Route53Endpoint: url, CloudWatchEndpoint: url, CloudWatchJSON: true})
	n := &peers.Calls{}
	counted := r53.New(rc.Options(), func(o *r53.Options) { o.APIOptions = append(o.APIOptions, n.Middleware) })
	return counted, cw, n
}

// hostedZone creates example.com. on moto and returns its ID.
func hostedZone(t *testing.T, rc *r53.Client) string {
	t.Helper()
	out, err := rc.CreateHostedZone(context.Background(), &r53.CreateHostedZoneInput{
		Name: aws.String("example.com."), CallerReference: aws.String(t.Name()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.HostedZone.Id)
}
