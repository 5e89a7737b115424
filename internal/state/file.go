package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Defaults for FileOptions' zero values.
const (
	DefaultMaxEvents   = 10000
	DefaultLockTimeout = time.Second
)

// ErrClosed is returned by every method of a File after Close.
var ErrClosed = errors.New("state: store closed")

// FileOptions tunes the embedded store. The zero value is the default.
type FileOptions struct {
	// MaxEvents bounds the history; beyond it the oldest events are dropped, so a
	// flapping cluster cannot grow the file without limit. 0 means DefaultMaxEvents.
	MaxEvents int
	// LockTimeout is how long OpenFile waits for another process to release the file
	// before giving up with a message that says so. 0 means DefaultLockTimeout.
	LockTimeout time.Duration
}

func (o FileOptions) withDefaults() (FileOptions, error) {
	if o.MaxEvents < 0 {
		return o, fmt.Errorf("state: max events must be 0 (default %d) or more, got %d", DefaultMaxEvents, o.MaxEvents)
	}
	if o.LockTimeout < 0 {
		return o, fmt.Errorf("state: lock timeout must be 0 (default %s) or more, got %s", DefaultLockTimeout, o.LockTimeout)
	}
	if o.MaxEvents == 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	return o, nil
}

// File is the embedded state store: one bbolt file on local disk. bbolt commits every
// write transaction with fsync and a double-buffered meta page, so a kill -9 at any
// instant leaves either the previous or the next transaction, never a mix. Its file
// lock keeps a second esdr process from writing behind our back.
//
// The layout is chosen so the etcd store that follows can mirror it key for key:
//
//	meta/format        "1"
//	meta/record        Record as JSON
//	meta/last_seq      the last Seq ever assigned, in decimal
//	events/<seq>       Event as JSON, seq zero-padded to 20 digits so keys sort
//	kv/<bucket>/<key>  opaque bytes (the plan journal)
//
// A File is safe for concurrent use.
type File struct {
	path      string
	db        *bolt.DB
	maxEvents int
	// committed is the record as this process last read or wrote it: the file is
	// locked to one process, so every change of the epoch passes through here.
	committed committed
}

var (
	bucketMeta   = []byte("meta")
	bucketEvents = []byte("events")
	bucketKV     = []byte("kv")
	keyFormat    = []byte("format")
	keyRecord    = []byte("record")
	keyLastSeq   = []byte("last_seq")
)

// formatVersion is bumped only by an incompatible change of the layout above; an
// older esdr refuses a newer file instead of misreading it.
const formatVersion = "1"

// OpenFile opens the state file at path, creating it (and its directory, private to
// esdr's user) if needed. It fails within opts.LockTimeout when another process holds
// the file, and fails with advice when the file is not a readable state file.
func OpenFile(path string, opts FileOptions) (*File, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state: create directory for %s: %w", path, err)
	}
	db, err := openBolt(path, opts.LockTimeout)
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("state: %s is in use by another esdr process (bbolt lock); stop it or use another state.path", path)
	case isCorrupt(err):
		return nil, corruptError(path, err)
	case err != nil:
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	f := &File{path: path, db: db, maxEvents: opts.MaxEvents}
	if err := f.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	rec, err := f.Load(context.Background())
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	f.committed.set(rec)
	return f, nil
}

// openBolt turns a panic of bbolt on a damaged file into an error: the file is input,
// and garbage in it must not crash the process.
func openBolt(path string, timeout time.Duration) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: %v", berrors.ErrInvalid, r)
		}
	}()
	return bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
}

// isCorrupt tells a damaged file from a failure to reach it. bbolt reports some damage
// with sentinels and some ("file size too small") with plain text, while every failure
// of the operating system comes wrapped in a PathError or an Errno.
func isCorrupt(err error) bool {
	if err == nil {
		return false
	}
	var pathErr *fs.PathError
	var errno syscall.Errno
	return !errors.As(err, &pathErr) && !errors.As(err, &errno)
}

// errBadContent marks a bbolt file whose contents are not what esdr wrote.
var errBadContent = errors.New("unexpected content")

func corruptError(path string, err error) error {
	return fmt.Errorf("state: %s is not a readable esdr state file (%w); "+
		"restore it from a backup, or move it aside and start with no state: esdr run --bootstrap-active CLUSTER, "+
		"naming the cluster that takes traffic now (without the flag, esdr looks at the clusters and targets first "+
		"and refuses to start on the preferred cluster if traffic may have left it)", path, err)
}

// init creates the buckets on first use and checks, once, that what is already there
// can be read, so a damaged file is reported at startup rather than mid-failover.
func (f *File) init() error {
	return f.update(context.Background(), func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketEvents, bucketKV} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("state: %s: create bucket %s: %w", f.path, name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyFormat); {
		case v == nil:
			if err := meta.Put(keyFormat, []byte(formatVersion)); err != nil {
				return fmt.Errorf("state: %s: write format: %w", f.path, err)
			}
		case string(v) != formatVersion:
			return fmt.Errorf("state: %s has format %q, this esdr reads format %q; run the esdr version that wrote it", f.path, v, formatVersion)
		}
		if _, err := f.readRecord(tx); err != nil {
			return err
		}
		_, err := f.lastSeq(tx)
		return err
	})
}

// Close releases the file and its lock. It is safe to call more than once.
func (f *File) Close() error {
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("state: close %s: %w", f.path, err)
	}
	return nil
}

// view and update run fn in a bbolt transaction. The context is checked before the
// transaction starts: a commit, once begun, is not abandoned half way.
func (f *File) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	return f.run(ctx, f.db.View, fn)
}

func (f *File) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	return f.run(ctx, f.db.Update, fn)
}

func (f *File) run(ctx context.Context, txn func(func(*bolt.Tx) error) error, fn func(*bolt.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	// bbolt panics on some damaged pages; its managed transaction has rolled back by
	// the time the panic reaches here, so recovering is safe.
	defer func() {
		if r := recover(); r != nil {
			err = corruptError(f.path, fmt.Errorf("%w: %v", errBadContent, r))
		}
	}()
	err = txn(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
