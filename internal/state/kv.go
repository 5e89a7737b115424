package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The key/value area holds what other components must keep across a crash but that
// is not the decision itself — first of all the plan journal, which records which
// steps of a failover have run so a restarted esdr resumes rather than repeats them.
// Values are opaque bytes; the owner chooses the encoding. Buckets are namespaces
// (one per owner), created on first Put; in etcd they become the prefix kv/<bucket>/.

// Get returns the value stored under bucket/key, and whether there is one. The slice
// is the caller's own.
func (f *File) Get(ctx context.Context, bucket, key string) ([]byte, bool, error) {
	if err := checkKV(bucket, key); err != nil {
		return nil, false, err
	}
	var val []byte
	err := f.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(key)); v != nil {
			// bbolt's slice is only valid inside the transaction.
			val = bytes.Clone(v)
			if val == nil {
				val = []byte{}
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return val, val != nil, nil
}

// Put stores val under bucket/key, replacing any previous value, durably before it
// returns.
func (f *File) Put(ctx context.Context, bucket, key string, val []byte) error {
	if err := checkKV(bucket, key); err != nil {
		return err
	}
	return f.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketKV).CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return fmt.Errorf("state: %s: kv bucket %q: %w", f.path, bucket, err)
		}
		if val == nil {
			val = []byte{} // bbolt would store nil as a value Get cannot tell from absent
		}
		if err := b.Put([]byte(key), val); err != nil {
			return fmt.Errorf("state: %s: put %s/%s: %w", f.path, bucket, key, err)
		}
		return nil
	})
}

// Delete removes bucket/key; deleting what is not there is not an error, so a journal
// can clean up idempotently.
func (f *File) Delete(ctx context.Context, bucket, key string) error {
	if err := checkKV(bucket, key); err != nil {
		return err
	}
	return f.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		if err := b.Delete([]byte(key)); err != nil {
			return fmt.Errorf("state: %s: delete %s/%s: %w", f.path, bucket, key, err)
		}
		return nil
	})
}

// maxKeyLen keeps keys well inside bbolt's limit and etcd's comfortable key sizes.
const maxKeyLen = 512

func checkKV(bucket, key string) error {
	switch {
	case bucket == "" || key == "":
		return errors.New("state: kv bucket and key must not be empty")
	case strings.Contains(bucket, "/"):
		return fmt.Errorf("state: kv bucket %q must not contain '/' (it separates bucket from key in etcd)", bucket)
	case len(bucket) > maxKeyLen || len(key) > maxKeyLen:
		return fmt.Errorf("state: kv bucket and key must be at most %d bytes", maxKeyLen)
	}
	return nil
}
