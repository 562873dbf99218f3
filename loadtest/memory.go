package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memorySampler records the peak resident memory of a process while a scenario runs. It
// resets the kernel's peak (VmHWM) at the start, where the kernel allows that, and also
// samples VmRSS, so that the peak is found either way.
type memorySampler struct {
	pid  int
	stop chan struct{}
	done sync.WaitGroup

	mu   sync.Mutex
	peak int64 // kB
}

// sampleEvery is the interval between VmRSS samples.
const sampleEvery = 10 * time.Millisecond

// startMemorySampler starts sampling the process pid.
func startMemorySampler(pid int) *memorySampler {
	m := &memorySampler{pid: pid, stop: make(chan struct{})}
	// Writing 5 to clear_refs resets VmHWM to the current VmRSS (Linux 4.0 and later).
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)

	m.done.Add(1)
	go func() {
		defer m.done.Done()
		ticker := time.NewTicker(sampleEvery)
		defer ticker.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-ticker.C:
			}
		}
	}()
	return m
}

func (m *memorySampler) sample() {
	status, err := readStatus(m.pid)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.peak = max(m.peak, status["VmRSS"], status["VmHWM"])
}

// Stop stops sampling and returns the peak resident memory in bytes.
func (m *memorySampler) Stop() int64 {
	m.sample()
	close(m.stop)
	m.done.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak * 1024
}

// readStatus returns the fields of /proc/PID/status that are sizes in kB, by name.
func readStatus(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseStatus(f)
}

func parseStatus(f interface{ Read([]byte) (int, error) }) (map[string]int64, error) {
	sizes := map[string]int64{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		name, value, ok := strings.Cut(scanner.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		sizes[name] = n
	}
	return sizes, scanner.Err()
}
