package rfc2136

import (
	"context"
	"maps"
	"slices"
)

// Points asks the server which configured cluster the record's data belongs to, without
// changing it: "" when the record is absent or holds data of no configured cluster (DNS
// holds no epoch, so epoch is always 0). The TTL is not compared: only where it points.
func (t *Target) Points(ctx context.Context) (cluster string, epoch uint64, err error) {
	have, err := t.query(ctx)
	if err != nil || len(have) == 0 {
		return "", 0, err
	}
	for _, c := range slices.Sorted(maps.Keys(t.cfg.Values)) {
		want, err := t.cfg.records(c)
		if err == nil && slices.Equal(rdata(have), rdata(want)) {
			return c, 0, nil
		}
	}
	return "", 0, nil
}
