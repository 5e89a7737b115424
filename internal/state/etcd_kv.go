package state

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Get returns the value stored under kv/<bucket>/<key>, as File.Get does. Reads are
// not fenced: any member may read what the leader wrote.
func (e *Etcd) Get(ctx context.Context, bucket, key string) ([]byte, bool, error) {
	if err := checkKV(bucket, key); err != nil {
		return nil, false, err
	}
	ctx, cancel, err := e.call(ctx)
	if err != nil {
		return nil, false, err
	}
	defer cancel()
	resp, err := e.cli.Get(ctx, e.key("kv/", bucket, "/", key))
	if err != nil {
		return nil, false, e.errf("get %s/%s: %w", bucket, key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, false, nil
	}
	val := resp.Kvs[0].Value
	if val == nil {
		val = []byte{}
	}
	return val, true, nil
}

// Put stores val under kv/<bucket>/<key> in a transaction fenced by leadership.
func (e *Etcd) Put(ctx context.Context, bucket, key string, val []byte) error {
	if err := checkKV(bucket, key); err != nil {
		return err
	}
	_, err := e.write(ctx, nil, []clientv3.Op{clientv3.OpPut(e.key("kv/", bucket, "/", key), string(val))}, nil, nil)
	return err
}

// Delete removes kv/<bucket>/<key> in a transaction fenced by leadership; deleting what
// is not there is not an error.
func (e *Etcd) Delete(ctx context.Context, bucket, key string) error {
	if err := checkKV(bucket, key); err != nil {
		return err
	}
	_, err := e.write(ctx, nil, []clientv3.Op{clientv3.OpDelete(e.key("kv/", bucket, "/", key))}, nil, nil)
	return err
}
