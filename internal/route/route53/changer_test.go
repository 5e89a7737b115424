package route53

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// pendingAPI answers PENDING for the first gets GetChange calls: moto is always INSYNC,
// so the wait is exercised here with a fake (a pure unit test of the polling).
type pendingAPI struct {
	recordAPI
	gets int
}

func (p *pendingAPI) ChangeResourceRecordSets(context.Context, *r53.ChangeResourceRecordSetsInput, ...func(*r53.Options)) (*r53.ChangeResourceRecordSetsOutput, error) {
	return &r53.ChangeResourceRecordSetsOutput{ChangeInfo: &types.ChangeInfo{Id: aws.String("C1"), Status: types.ChangeStatusPending}}, nil
}

func (p *pendingAPI) GetChange(context.Context, *r53.GetChangeInput, ...func(*r53.Options)) (*r53.GetChangeOutput, error) {
	status := types.ChangeStatusPending
	if p.gets--; p.gets < 0 {
		status = types.ChangeStatusInsync
	}
	return &r53.GetChangeOutput{ChangeInfo: &types.ChangeInfo{Id: aws.String("C1"), Status: status}}, nil
}

func TestChangeWaitsForInsync(t *testing.T) {
	api := &pendingAPI{gets: 3}
	c := changer{api: api, zone: "Z1", timeout: time.Minute, poll: time.Millisecond}
	if err := c.change(context.Background(), "test", types.ResourceRecordSet{}); err != nil {
		t.Fatal(err)
	}
	if api.gets != -1 {
		t.Errorf("GetChange asked %d times, want 4", 3-api.gets)
	}
}

func TestChangeGivesUpAfterTimeout(t *testing.T) {
	c := changer{api: &pendingAPI{gets: 1 << 30}, zone: "Z1", timeout: 20 * time.Millisecond, poll: time.Millisecond}
	err := c.change(context.Background(), "test", types.ResourceRecordSet{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}
