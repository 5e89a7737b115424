package route53

import (
	"context"
	"maps"
	"slices"
)

// Points reads the record and names the configured cluster it points at, without
// changing it: "" when the record is absent or holds data of no configured cluster.
// Route 53 holds no epoch, so epoch is always 0. (Mode failover-records has no Points:
// Route 53 chooses between the pair by itself.)
func (r *Record) Points(ctx context.Context) (cluster string, epoch uint64, err error) {
	for _, c := range slices.Sorted(maps.Keys(r.cfg.Values)) {
		want, err := r.desired(c)
		if err != nil {
			continue
		}
		ok, err := r.matches(ctx, want)
		if err != nil {
			return "", 0, err
		}
		if ok {
			return c, 0, nil
		}
	}
	return "", 0, nil
}
