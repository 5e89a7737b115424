package peers

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
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
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("peers: %s at %s not ready within %s", what, url, within)
		}
	}
}
