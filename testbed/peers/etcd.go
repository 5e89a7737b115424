package peers

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/poll"
)

// Etcd starts a one-member etcd (Debian's etcd-server) and returns its client URL once it
// answers.
func Etcd(t testing.TB) string {
	t.Helper()
	bin := Need(t, "etcd")
	dir := t.TempDir()
	client, peer := url(FreePort(t)), url(FreePort(t))
	Start(t, dir, "etcd", bin, "--name", "esdr-test", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "esdr-test="+peer)
	waitHTTP(t, "etcd", client+"/health", 30*time.Second)
	return client
}

// waitHTTP polls url until it answers 200, or fails the test.
func waitHTTP(t testing.TB, what, url string, within time.Duration) {
	t.Helper()
	if err := pollHTTP(what, url, within); err != nil {
		t.Fatal(err)
	}
}

// pollHTTP polls url until it answers 200.
func pollHTTP(what, url string, within time.Duration) error {
	c := http.Client{Timeout: time.Second}
	err := poll.Until(context.Background(), within, what+" at "+url+" ready", func() bool {
		resp, err := c.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	return nil
}
