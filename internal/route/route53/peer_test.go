package route53

import (
	"context"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/smithy-go/middleware"

	"github.com/esdr/esdr/testbed/peers"
)

// The moto server is shared by the package's tests (it takes seconds to start on a
// loaded machine) and reset before each test; TestMain stops it.
var moto struct {
	once sync.Once
	url  string
	proc *peers.Proc
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if moto.proc != nil {
		moto.proc.Stop()
	}
	os.Exit(code)
}

// startMoto returns the URL of a freshly reset moto server (Route 53 and CloudWatch).
func startMoto(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs moto; skipped under -short")
	}
	moto.once.Do(func() { moto.url, moto.proc, moto.err = peers.LaunchMoto("../../..") })
	if moto.err != nil {
		t.Fatal(moto.err)
	}
	resp, err := http.Post(moto.url+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return moto.url
}

// calls counts SDK operations by name, through a middleware on the client.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

func (c *calls) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("esdrCount",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// clients returns Route 53 and CloudWatch clients on moto with static credentials, and
// the Route 53 client's call counts.
func clients(t *testing.T, url string) (*r53.Client, *cloudwatch.Client, *calls) {
	t.Helper()
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	rc, cw := NewClients(cfg, AWSConfig{Route53Endpoint: url, CloudWatchEndpoint: url, CloudWatchJSON: true})
	n := &calls{n: map[string]int{}}
	counted := r53.New(rc.Options(), func(o *r53.Options) { o.APIOptions = append(o.APIOptions, n.middleware) })
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
