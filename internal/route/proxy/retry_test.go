package proxy

import (
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		method, path string
		want         kind
	}{
		{"GET", "/", kindRead},
		{"HEAD", "/idx", kindRead},
		{"GET", "/idx/_doc/1", kindRead},
		{"GET", "/idx/_search", kindRead},
		{"POST", "/_search", kindRead},
		{"POST", "/idx/_search", kindRead},
		{"POST", "/a,b*/_search", kindRead},
		{"POST", "/idx/_search/template", kindRead},
		{"POST", "/_msearch", kindRead},
		{"POST", "/idx/_msearch/template", kindRead},
		{"POST", "/idx/_count", kindRead},
		{"POST", "/_mget", kindRead},
		{"POST", "/idx/_field_caps", kindRead},
		{"POST", "/idx/_validate/query", kindRead},
		{"POST", "/idx/_explain/1", kindRead},
		{"GET", "/_search/scroll", kindScroll},
		{"POST", "/_search/scroll", kindScroll},
		{"DELETE", "/_search/scroll/abc", kindScroll},
		{"POST", "/_bulk", kindWrite},
		{"POST", "/idx/_bulk", kindWrite},
		{"POST", "/idx/_doc", kindWrite},
		{"PUT", "/idx/_doc/1", kindWrite},
		{"POST", "/idx/_doc/_search", kindWrite}, // indexes a document whose id is "_search"
		{"POST", "/idx/_update/1", kindWrite},
		{"POST", "/idx/_delete_by_query", kindWrite},
		{"POST", "/idx/_refresh", kindWrite},
		{"DELETE", "/idx", kindWrite},
		{"POST", "/idx/_explain/a%2Fb/c", kindWrite},
		{"POST", "/_pit", kindWrite},
		{"PATCH", "/idx/_search", kindWrite},
	}
	for _, c := range cases {
		if got := classify(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.method, c.path, got, c.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	cases := []struct {
		k                 kind
		delivered         bool
		again, acrossWant bool
	}{
		{kindRead, false, true, true},
		{kindRead, true, true, true},
		{kindScroll, false, true, false},
		{kindScroll, true, true, false},
		{kindWrite, false, true, true},
		{kindWrite, true, false, false},
	}
	for _, c := range cases {
		again, across := c.k.retryable(c.delivered)
		if again != c.again || across != c.acrossWant {
			t.Errorf("%s delivered=%v: again %v across %v", c.k, c.delivered, again, across)
		}
	}
}

func TestReplayKeepsSmallBodies(t *testing.T) {
	b := newReplay(strings.NewReader("hello world"), 64, 11)
	first := b.reader()
	buf := make([]byte, 5)
	if n, _ := first.Read(buf); string(buf[:n]) != "hello" {
		t.Fatalf("first read %q", buf[:n])
	}
	first.detach()
	if _, err := first.Read(buf); err != errBodyGone {
		t.Errorf("detached reader read: %v", err)
	}
	if !b.canReplay() {
		t.Fatal("a body under the limit cannot be replayed")
	}
	all, err := io.ReadAll(b.reader())
	if err != nil || string(all) != "hello world" {
		t.Errorf("replayed %q, %v", all, err)
	}
}

func TestReplayGivesUpOnLargeBodies(t *testing.T) {
	b := newReplay(strings.NewReader(strings.Repeat("x", 100)), 10, -1)
	if !b.canReplay() {
		t.Fatal("an unread body must be replayable")
	}
	if n, _ := io.ReadAll(b.reader()); len(n) != 100 {
		t.Fatalf("streamed %d bytes", len(n))
	}
	if b.canReplay() {
		t.Error("a body over the limit claims to be replayable")
	}
	if b.kept != nil {
		t.Error("bytes kept past the limit")
	}
}

func TestSegmentsIsSplitOfTrim(t *testing.T) {
	for _, p := range []string{"", "/", "//", "/a", "/a/", "a/b", "/a//b/", "/_search/scroll/x",
		"/1/2/3/4/5/6/7/8/9/10"} {
		var buf [2]string
		got, want := segments(buf[:0], p), strings.Split(strings.Trim(p, "/"), "/")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("segments(%q) = %q, want %q", p, got, want)
		}
	}
}
