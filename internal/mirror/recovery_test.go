package mirror

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segments returns the segment files of dir, ascending.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no segments in %s: %v", dir, err)
	}
	return m
}

// damage rewrites a file through f.
func damage(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// written makes a closed journal of n records in dir and returns its segment files.
func written(t *testing.T, dir string, n int, opts Options) []string {
	t.Helper()
	j, _, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, j, 1, n)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return segmentFiles(t, dir)
}

// TestTornTail: a crash mid-write leaves the last record short or garbled; Open cuts it
// off, reports it, and the journal carries on from the last valid record.
func TestTornTail(t *testing.T) {
	for name, tear := range map[string]func([]byte) []byte{
		"cut in the payload":  func(b []byte) []byte { return b[:len(b)-5] },
		"cut in the header":   func(b []byte) []byte { return b[:lastRecordStart(b)+10] },
		"garbled last bytes":  func(b []byte) []byte { copy(b[len(b)-4:], "\xde\xad\xbe\xef"); return b },
		"zeros after the end": func(b []byte) []byte { return append(b, make([]byte, 4096)...) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			segs := written(t, dir, 20, Options{})
			damage(t, segs[len(segs)-1], tear)
			j, rep := openJournal(t, dir, Options{})
			if rep.Truncated == nil {
				t.Fatalf("no truncation reported: %+v", rep)
			}
			wantLast := uint64(19)
			if name == "zeros after the end" {
				wantLast = 20
			}
			if rep.LastSeq != wantLast {
				t.Errorf("LastSeq = %d, want %d (%+v)", rep.LastSeq, wantLast, rep.Truncated)
			}
			appendN(t, j, int(wantLast)+1, int(wantLast)+3)
			if got := readAll(t, j, 1); len(got) != int(wantLast)+3 {
				t.Errorf("%d records after repair", len(got))
			}
		})
	}
}

// lastRecordStart finds the offset of the last record of a segment.
func lastRecordStart(b []byte) int {
	off, last := 0, 0
	for off < len(b) {
		_, n, err := parseRecord(b[off:], DefaultMaxRecordBytes)
		if err != nil {
			break
		}
		last, off = off, off+n
	}
	return last
}

// TestCorruptionRefused: damage anywhere but the torn tail stops Open with ErrCorrupt
// naming the file and offset.
func TestCorruptionRefused(t *testing.T) {
	small := Options{MaxBytes: 1 << 20, SegmentBytes: 1 << 10}
	cases := []struct {
		name    string
		seg     func(segs []string) string
		garble  func([]byte) []byte
		wantMsg string
	}{
		{"flipped byte early in the last segment", last, flipAt(0.1), "checksum mismatch"},
		{"flipped byte in an older segment", first, flipAt(0.5), ".seg at offset"},
		{"cut older segment", first, func(b []byte) []byte { return b[:len(b)-3] }, "at offset"},
		{"record out of sequence", last, func(b []byte) []byte {
			start := lastRecordStart(b)
			return append(b, b[:start]...) // an earlier, valid record again
		}, "out of sequence"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			segs := written(t, dir, 60, small)
			damage(t, c.seg(segs), c.garble)
			_, _, err := Open(dir, small)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("Open = %v, want ErrCorrupt with %q", err, c.wantMsg)
			}
		})
	}
	t.Run("missing segment", func(t *testing.T) {
		dir := t.TempDir()
		segs := written(t, dir, 60, small)
		if err := os.Remove(segs[1]); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Open(dir, small); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("every segment removed", func(t *testing.T) {
		dir := t.TempDir()
		j, _, err := Open(dir, small)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, j, 1, 3)
		if err := j.SetApplied(2); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		for _, s := range segmentFiles(t, dir) {
			if err := os.Remove(s); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := Open(dir, small); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("damaged checkpoint", func(t *testing.T) {
		dir := t.TempDir()
		written(t, dir, 3, small)
		if err := os.WriteFile(filepath.Join(dir, checkpointFile), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Open(dir, small); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open = %v", err)
		}
	})
}

func first(segs []string) string { return segs[0] }
func last(segs []string) string  { return segs[len(segs)-1] }

// flipAt inverts one byte at fraction f of the file.
func flipAt(f float64) func([]byte) []byte {
	return func(b []byte) []byte {
		b[int(float64(len(b))*f)] ^= 0xff
		return b
	}
}
