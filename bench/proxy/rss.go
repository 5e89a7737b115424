package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// rssOf reads a process's resident set size (VmRSS) in bytes.
func rssOf(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("pid %d: no VmRSS", pid)
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on
// Linux for every architecture Go supports).
const clockTicks = 100

// cpuOf reads the CPU time (user + system, all threads) a process has used so far.
func cpuOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are counted after it.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b)[i+1:])
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("pid %d: unexpected /proc stat %q", pid, b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("pid %d: unexpected /proc stat %q", pid, b)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// rssSampler polls a process's RSS every 250 ms until stopped and keeps the peak.
type rssSampler struct {
	peak int64
	quit chan struct{}
	done chan struct{}
}

// startRSS samples pid; pid 0 samples nothing.
func startRSS(pid int) *rssSampler {
	s := &rssSampler{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for pid > 0 {
			if v, err := rssOf(pid); err == nil {
				s.peak = max(s.peak, v)
			}
			select {
			case <-s.quit:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak RSS in bytes.
func (s *rssSampler) stop() int64 {
	close(s.quit)
	<-s.done
	return s.peak
}
