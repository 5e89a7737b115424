package etcdkey

import "context"

// Points reads which cluster the key names and the epoch it was written for, without
// writing: "" and 0 when the key is absent. A value that is not esdr's JSON is an error.
// It lets a start with no stored state see that an earlier esdr moved traffic.
func (t *Target) Points(ctx context.Context) (cluster string, epoch uint64, err error) {
	v, _, err := t.read(ctx)
	if err != nil || v == nil {
		return "", 0, err
	}
	return v.Cluster, v.Epoch, nil
}
