package tlsfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestAFileWithoutACertificateIsRefusedByName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CAPool(path); !errors.Is(err, ErrNoCertificate) {
		t.Fatalf("err %v, want ErrNoCertificate", err)
	}
}

func TestAMissingFileIsAnOSError(t *testing.T) {
	if _, err := CAPool(filepath.Join(t.TempDir(), "absent.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v, want not-exist", err)
	}
}

func TestTheConfigFixtureBundleLoads(t *testing.T) {
	if _, err := CAPool("../config/testdata/good/ca.pem"); err != nil {
		t.Fatal(err)
	}
}
