package elb

import (
	"context"
	"maps"
	"slices"
)

// Points reads the listener and names the configured cluster whose target group alone
// gets its traffic (the only group forwarded to with a positive weight), without
// changing anything: "" when the listener forwards elsewhere, to several groups or not
// at all. A listener holds no epoch, so epoch is always 0.
func (t *Target) Points(ctx context.Context) (cluster string, epoch uint64, err error) {
	l, err := t.describe(ctx)
	if err != nil {
		return "", 0, err
	}
	tgs := serving(l.DefaultActions)
	if len(tgs) != 1 {
		return "", 0, nil
	}
	for _, c := range slices.Sorted(maps.Keys(t.groups)) {
		if t.groups[c] == tgs[0] {
			return c, 0, nil
		}
	}
	return "", 0, nil
}
