package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/esdr/esdr/internal/decide"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openTemp opens a fresh store in the test's temporary directory, closed at cleanup.
func openTemp(t *testing.T, opts FileOptions) (*File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	return openAt(t, path, opts), path
}

func openAt(t *testing.T, path string, opts FileOptions) *File {
	t.Helper()
	f, err := OpenFile(path, opts)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestOpenFileCreatesPrivateDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "esdr")
	path := filepath.Join(dir, "state.db")
	openAt(t, path, FileOptions{})

	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.want {
			t.Errorf("%s: mode %o, want %o", c.path, got, c.want)
		}
	}
}

func TestOpenFileLockedByAnotherOpener(t *testing.T) {
	_, path := openTemp(t, FileOptions{})

	second, err := OpenFile(path, FileOptions{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		_ = second.Close()
		t.Fatal("second OpenFile of a held file succeeded")
	}
	want := "state: " + path + " is in use by another esdr process (bbolt lock); stop it or use another state.path"
	if err.Error() != want {
		t.Errorf("error:\n got %q\nwant %q", err, want)
	}
}

func TestOpenFileReopensAfterClose(t *testing.T) {
	f, path := openTemp(t, FileOptions{})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	openAt(t, path, FileOptions{LockTimeout: 100 * time.Millisecond})
}

func TestOpenFileCorrupt(t *testing.T) {
	garbage := []byte(strings.Repeat("this is not a bbolt file\n", 1000))
	for name, content := range map[string][]byte{
		"short garbage": []byte("{}"),
		"long garbage":  garbage,
		"one page":      garbage[:4096],
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			assertCorrupt(t, path)
		})
	}
}

// A valid bbolt file whose record is not esdr's JSON is as unusable as garbage: it
// must be refused at open, not read as "never written" (that would reset the epoch).
func TestOpenFileBadRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keyRecord, []byte("not json"))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	assertCorrupt(t, path)
}

func assertCorrupt(t *testing.T, path string) {
	t.Helper()
	f, err := OpenFile(path, FileOptions{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		_ = f.Close()
		t.Fatal("OpenFile of a damaged file succeeded")
	}
	msg := err.Error()
	t.Log(msg)
	for _, want := range []string{path, "not a readable esdr state file", "restore it from a backup", "move it aside", "--bootstrap-active CLUSTER"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestOpenFileRejectsNegativeOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	for _, opts := range []FileOptions{{MaxEvents: -1}, {LockTimeout: -time.Second}} {
		if f, err := OpenFile(path, opts); err == nil {
			_ = f.Close()
			t.Errorf("OpenFile(%+v) succeeded", opts)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	calls := map[string]func() error{
		"Load":           func() error { _, err := f.Load(ctx); return err },
		"CompareAndSwap": func() error { _, err := f.CompareAndSwap(ctx, 0, decide.State{Active: "a", Epoch: 1}); return err },
		"CommitDecision": func() error { _, _, err := f.CommitDecision(ctx, 0, decide.State{}, Event{}); return err },
		"Append":         func() error { _, err := f.Append(ctx, Event{}); return err },
		"Events":         func() error { _, err := f.Events(ctx, 0, 0); return err },
		"Latest":         func() error { _, err := f.Latest(ctx, 0); return err },
		"Get":            func() error { _, _, err := f.Get(ctx, "b", "k"); return err },
		"Put":            func() error { return f.Put(ctx, "b", "k", nil) },
		"Delete":         func() error { return f.Delete(ctx, "b", "k") },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", name, err)
		}
	}
	if rec, err := f.Load(t.Context()); err != nil || rec.Revision != 0 {
		t.Errorf("after cancelled calls: Load = %+v, %v; want nothing written", rec, err)
	}
}

func TestClosedStore(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Load(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Load after Close: %v, want ErrClosed", err)
	}
	if _, err := f.Append(t.Context(), Event{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
}
