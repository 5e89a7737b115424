package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Moto starts the moto server (an emulator of Route 53, CloudWatch, ELB and more,
// installed into .cache/moto by scripts/install-peers.sh) for one test and returns its URL.
func Moto(t testing.TB, repoRoot string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs moto; skipped under -short")
	}
	bin, err := motoBin(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	Start(t, t.TempDir(), "moto", bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	waitHTTP(t, "moto", url(port)+"/moto-api/", 60*time.Second)
	return url(port)
}

// LaunchMoto starts moto outside any one test, for a package's tests to share (it takes
// seconds to start on a loaded machine), and returns its URL once it answers. The caller
// stops it, typically from TestMain.
func LaunchMoto(repoRoot string) (string, *Proc, error) {
	bin, err := motoBin(repoRoot)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "esdr-moto")
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	p, err := launch(dir, "moto", bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	p.tempDir = dir
	if err := pollHTTP("moto", url(port)+"/moto-api/", 60*time.Second); err != nil {
		log := p.Log()
		p.Stop()
		return "", nil, fmt.Errorf("%w:\n%s", err, log)
	}
	return url(port), p, nil
}

// motoBin is moto_server under $ESDR_MOTO_DIR, else repoRoot/.cache/moto.
func motoBin(repoRoot string) (string, error) {
	dir := os.Getenv("ESDR_MOTO_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot, ".cache", "moto")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "bin", "moto_server"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("moto_server not found at %s; run scripts/install.sh", bin)
	}
	return bin, nil
}
