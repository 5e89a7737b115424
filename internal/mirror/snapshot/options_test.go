package snapshot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func validOptions() Options {
	return Options{
		Repository: Repository{Name: "esdr-sync", Type: "fs", Settings: map[string]any{"location": "/srv/repo"}},
		Indices:    []string{"logs-*", "audit"},
		Mirrored:   []string{"orders*", "users"},
	}
}

// TestOptions checks the defaults and that every bad field is named.
func TestOptions(t *testing.T) {
	o, err := validOptions().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Interval != DefaultInterval || o.Keep != DefaultKeep || o.Prefix != DefaultPrefix ||
		o.SnapshotTimeout != DefaultSnapshotTimeout || o.RestoreTimeout != DefaultRestoreTimeout ||
		o.PollInterval != DefaultPollInterval || o.Now == nil {
		t.Errorf("defaults: %+v", o)
	}
	cases := []struct {
		name string
		edit func(*Options)
		text string
	}{
		{"no repository", func(o *Options) { o.Repository.Name = "" }, `repository.name ""`},
		{"upper-case repository", func(o *Options) { o.Repository.Name = "Repo" }, `repository.name "Repo"`},
		{"no type", func(o *Options) { o.Repository.Type = "" }, `repository.type ""`},
		{"readonly set", func(o *Options) { o.Repository.Settings = map[string]any{"readonly": true} }, "repository.settings.readonly: set by esdr"},
		{"no indices", func(o *Options) { o.Indices = nil }, "indices: want at least one"},
		{"exclusion", func(o *Options) { o.Indices = []string{"-logs"} }, `index pattern "-logs"`},
		{"comma", func(o *Options) { o.Indices = []string{"a,b"} }, `index pattern "a,b"`},
		{"_all", func(o *Options) { o.Indices = []string{"_all"} }, `index pattern "_all"`},
		{"bad mirrored", func(o *Options) { o.Mirrored = []string{"A"} }, `index pattern "A"`},
		{"same index", func(o *Options) { o.Indices = []string{"users"} }, `index pattern "users" overlaps mirrored pattern "users"`},
		{"pattern covers mirrored", func(o *Options) { o.Indices = []string{"*"} }, `index pattern "*" overlaps mirrored pattern "orders*"`},
		{"patterns cross", func(o *Options) { o.Indices = []string{"*-2026"} }, `index pattern "*-2026" overlaps mirrored pattern "orders*"`},
		{"bad prefix", func(o *Options) { o.Prefix = "Esdr" }, `prefix "Esdr"`},
		{"negative keep", func(o *Options) { o.Keep = -1 }, "keep -1"},
		{"negative interval", func(o *Options) { o.Interval = -time.Second }, "interval -1s"},
		{"negative restore timeout", func(o *Options) { o.RestoreTimeout = -time.Second }, "restore_timeout -1s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := validOptions()
			c.edit(&o)
			_, err := New(nopDoer{}, nopDoer{}, o)
			if !errors.Is(err, ErrBadOptions) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("New: %v; want ErrBadOptions containing %q", err, c.text)
			}
		})
	}
	if _, err := New(nil, nopDoer{}, validOptions()); !errors.Is(err, ErrBadOptions) {
		t.Errorf("New without a primary: %v", err)
	}
}

func TestGlobsOverlap(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"logs", "logs", true},
		{"logs", "logs2", false},
		{"logs-*", "orders*", false},
		{"logs-*", "logs-app", true},
		{"logs-*", "*-app", true},   // logs-app
		{"*-2026", "orders*", true}, // orders-2026
		{"a*b", "a*c", false},       // one ends in b, the other in c
		{"a*", "*b", true},          // ab
		{"*", "", true},             // the empty name
		{"x*y*z", "x*z*y", false},   // one ends in z, the other in y
		{"x*y*", "x*z*", true},      // xyz
		{"abc", "a*d", false},       // ends differ
		{"a**", "*a", true},         // a
		{"logs-2026-*", "logs-2025*", false},
	}
	for _, c := range cases {
		if got := globsOverlap(c.a, c.b); got != c.want {
			t.Errorf("globsOverlap(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := globsOverlap(c.b, c.a); got != c.want {
			t.Errorf("globsOverlap(%q, %q) = %v, want %v (swapped)", c.b, c.a, got, c.want)
		}
	}
	// Long patterns must not take exponential time.
	long := strings.Repeat("*a", 200)
	if globsOverlap(long+"b", long+"c") {
		t.Error("different last letters overlap")
	}
}

func TestSnapshotName(t *testing.T) {
	at := time.Date(2026, 11, 25, 22, 30, 5, 7e6, time.FixedZone("x", 3600))
	if got := snapshotName("esdr-sync", at); got != "esdr-sync-20261125-213005-007" {
		t.Errorf("snapshotName = %q", got)
	}
}
