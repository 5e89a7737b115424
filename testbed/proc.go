package testbed

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// procState reads the state of pid from /proc, checking the process is this node's
// (its command line names dir) so a recycled pid is not mistaken for it.
func procState(pid int, dir string) State {
	if pid <= 0 {
		return Stopped
	}
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		return Stopped
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return Stopped
	}
	if c := stat[i+2]; c == 'Z' || c == 'X' {
		// A killed JVM's main thread is a zombie while its other threads still exit and
		// its sockets are still open: it is gone only when no thread is left.
		if threads(proc) > 1 {
			return Running
		}
		return Stopped
	}
	cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
	if err != nil {
		return Stopped
	}
	if len(cmdline) == 0 {
		// Exiting: the kernel releases a dying process's memory (so cmdline reads empty)
		// before its files, so its sockets may still be open.
		return Running
	}
	if !bytes.Contains(cmdline, []byte("\x00"+dir+"\x00")) {
		return Stopped // the pid now belongs to another program
	}
	if c := stat[i+2]; c == 'T' || c == 't' {
		return Paused
	}
	return Running
}

// threads reads the thread count of a process from /proc/PID/status; 0 if unknown.
func threads(proc string) int {
	status, err := os.ReadFile(filepath.Join(proc, "status"))
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	return 0
}
