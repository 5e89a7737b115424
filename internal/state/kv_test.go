package state

import (
	"strings"
	"testing"
)

func TestKVRoundTripAcrossReopen(t *testing.T) {
	f, path := openTemp(t, FileOptions{})
	ctx := t.Context()
	if err := f.Put(ctx, "plans", "epoch-2", []byte(`{"step":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := f.Put(ctx, "other", "epoch-2", []byte("elsewhere")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = openAt(t, path, FileOptions{})

	val, ok, err := f.Get(ctx, "plans", "epoch-2")
	if err != nil || !ok || string(val) != `{"step":3}` {
		t.Fatalf("Get = %q, %v, %v", val, ok, err)
	}
	val[0] = 'X' // the caller owns the slice; the store must not see this
	if again, _, _ := f.Get(ctx, "plans", "epoch-2"); string(again) != `{"step":3}` {
		t.Errorf("stored value changed to %q through a returned slice", again)
	}
	if val, _, _ := f.Get(ctx, "other", "epoch-2"); string(val) != "elsewhere" {
		t.Errorf("buckets are not separate namespaces: got %q", val)
	}
}

func TestKVMissingEmptyAndDelete(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	ctx := t.Context()
	for _, c := range [][2]string{{"nobucket", "k"}, {"plans", "nokey"}} {
		if val, ok, err := f.Get(ctx, c[0], c[1]); err != nil || ok || val != nil {
			t.Errorf("Get(%s/%s) = %q, %v, %v; want absent", c[0], c[1], val, ok, err)
		}
	}
	if err := f.Put(ctx, "plans", "empty", nil); err != nil {
		t.Fatal(err)
	}
	if val, ok, err := f.Get(ctx, "plans", "empty"); err != nil || !ok || len(val) != 0 {
		t.Errorf("Get of an empty value = %q, %v, %v; want present and empty", val, ok, err)
	}
	for range 2 { // deleting twice is fine
		if err := f.Delete(ctx, "plans", "empty"); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := f.Get(ctx, "plans", "empty"); ok {
		t.Error("value still present after Delete")
	}
	if err := f.Delete(ctx, "nobucket", "k"); err != nil {
		t.Errorf("Delete in a missing bucket: %v", err)
	}
}

func TestKVRejectsBadNames(t *testing.T) {
	f, _ := openTemp(t, FileOptions{})
	long := strings.Repeat("k", maxKeyLen+1)
	for _, c := range [][2]string{{"", "k"}, {"b", ""}, {"a/b", "k"}, {long, "k"}, {"b", long}} {
		if err := f.Put(t.Context(), c[0], c[1], []byte("v")); err == nil {
			t.Errorf("Put(%q, %q) succeeded", c[0], c[1])
		}
		if _, _, err := f.Get(t.Context(), c[0], c[1]); err == nil {
			t.Errorf("Get(%q, %q) succeeded", c[0], c[1])
		}
	}
}
