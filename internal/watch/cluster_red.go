package watch

import (
	"context"
	"fmt"
	"strings"
)

// redShown is how many red indices a result names.
const redShown = 5

// redIndices is what a red cluster health is made of: the indices the cluster reports red.
type redIndices struct {
	known bool // asked and answered
	names []string
	total int
}

// redIndicesOf asks the node that answered the red health which indices are red, within
// the probe's deadline. A failure leaves it unknown: the red status then stands as it is.
func redIndicesOf(ctx context.Context, c healthClient, node string) redIndices {
	names, total, err := c.RedIndicesOf(ctx, node, redShown)
	if err != nil {
		return redIndices{}
	}
	return redIndices{known: true, names: names, total: total}
}

// onlyCanary reports whether the canary is the one red index. A red status with no red
// index listed (the two answers raced) is not explained by the canary.
func (r redIndices) onlyCanary(canary string) bool {
	return r.known && canary != "" && r.total == 1 && len(r.names) == 1 && r.names[0] == canary
}

func (r redIndices) String() string {
	s := "red indices: " + strings.Join(r.names, ", ")
	if r.total > len(r.names) {
		s += fmt.Sprintf(" (%d in all)", r.total)
	}
	return s
}
