package peers

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Moto starts the moto server (Route 53 and CloudWatch emulator, installed into
// .cache/moto by scripts/install-peers.sh) and returns its URL.
func Moto(t testing.TB, repoRoot string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs moto; skipped under -short")
	}
	dir := os.Getenv("ESDR_MOTO_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot, ".cache", "moto")
	}
	bin := filepath.Join(dir, "bin", "moto_server")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("moto_server not found at %s; run scripts/install.sh", bin)
	}
	port := FreePort(t)
	start(t, t.TempDir(), "moto", bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	waitHTTP(t, "moto", url(port)+"/moto-api/", 60*time.Second)
	return url(port)
}
