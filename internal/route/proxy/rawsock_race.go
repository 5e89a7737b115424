//go:build race

package proxy

import "syscall"

// raceBuild: allocation counts are of the product's build, not this one.
const raceBuild = true

// Under the race detector, syscall.Read and syscall.Write: they tell the detector of the
// buffer the kernel fills and of the order a socket's bytes give between goroutines.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return max(n, 0), errnoOf(err)
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return max(n, 0), errnoOf(err)
}

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return err.(syscall.Errno)
}
