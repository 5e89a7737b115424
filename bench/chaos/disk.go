package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// diskSize is the tmpfs esdr's state lives on in the embedded topology: small, so that
// the disk-full fault fills it at once, and roomy for one run's state file.
const diskSize = "32m"

// mountDisk mounts a small tmpfs at dir/esdr-disk for the runs' esdr folders. It needs
// root (or CAP_SYS_ADMIN); without it the runs use dir itself and the disk-full family
// fails with the reason.
func (b *bed) mountDisk() error {
	disk := filepath.Join(b.dir, "esdr-disk")
	if err := os.MkdirAll(disk, 0o755); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+diskSize, "tmpfs", disk).CombinedOutput(); err != nil {
		return fmt.Errorf("chaos: mount a tmpfs for esdr's state: %v: %s", err, out)
	}
	b.disk = disk
	return nil
}

func (b *bed) unmountDisk() {
	if b.disk != "" {
		_ = exec.Command("umount", "-l", b.disk).Run()
	}
}

// runDir is where a run's esdr members keep their folders.
func (b *bed) runDir(seed int64) string {
	root := b.dir
	if b.disk != "" {
		root = b.disk
	}
	return filepath.Join(root, fmt.Sprintf("esdr-seed-%d", seed))
}

// fillDisk writes a filler file on the tmpfs until it is full (ENOSPC), then returns its
// path for emptying; what esdr writes next fails as on a full disk.
func (b *bed) fillDisk(ctx context.Context) (string, error) {
	if b.disk == "" {
		return "", errors.New("chaos: disk-full needs esdr's state on its own tmpfs, which could not be mounted (run as root)")
	}
	path := filepath.Join(b.disk, "filler")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("chaos: fill disk: %w", err)
	}
	defer f.Close()
	for _, size := range []int{1 << 20, 4 << 10, 1} {
		buf := make([]byte, size)
		for ctx.Err() == nil {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					return path, fmt.Errorf("chaos: fill disk: %w", err)
				}
				break
			}
		}
	}
	return path, ctx.Err()
}
