package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is the result of a wrk run, as the done function of a wrk script prints it in
// JSON after resultPrefix. Latencies are in microseconds.
type wrkResult struct {
	Requests      int64 `json:"requests"`
	DurationUS    int64 `json:"duration_us"`
	Bytes         int64 `json:"bytes"`
	StatusErrors  int64 `json:"errors_status"`
	ConnectErrors int64 `json:"errors_connect"`
	ReadErrors    int64 `json:"errors_read"`
	WriteErrors   int64 `json:"errors_write"`
	Timeouts      int64 `json:"errors_timeout"`
	P50           int64 `json:"p50"`
	P99           int64 `json:"p99"`
	P999          int64 `json:"p999"`
	Max           int64 `json:"max"`
}

// resultPrefix starts the line of a wrk script's output that holds its result.
const resultPrefix = "LOADTEST "

// RequestsPerSecond returns the throughput of the run.
func (r wrkResult) RequestsPerSecond() float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// Errors returns the responses that were not 2xx or 3xx and the socket errors.
func (r wrkResult) Errors() int64 {
	return r.StatusErrors + r.ConnectErrors + r.ReadErrors + r.WriteErrors + r.Timeouts
}

// parseWrkOutput returns the result line that the done function of a wrk script printed.
func parseWrkOutput(output []byte) (wrkResult, error) {
	scanner := bufio.NewScanner(bytes.NewReader(output))
	for scanner.Scan() {
		line, ok := strings.CutPrefix(scanner.Text(), resultPrefix)
		if !ok {
			continue
		}
		var r wrkResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return wrkResult{}, fmt.Errorf("read wrk result %q: %w", line, err)
		}
		return r, nil
	}
	return wrkResult{}, fmt.Errorf("wrk printed no line that starts with %q; its output:\n%s", resultPrefix, output)
}

// wrkSettings are the options of every wrk run.
type wrkSettings struct {
	path        string
	threads     int
	connections int
	timeout     time.Duration
}

// run runs wrk with the script against baseURL for the duration and returns its result.
func (w wrkSettings) run(ctx context.Context, baseURL, script string, duration time.Duration) (wrkResult, error) {
	args := []string{
		"-t", strconv.Itoa(w.threads),
		"-c", strconv.Itoa(w.connections),
		"-d", fmt.Sprintf("%ds", int(duration.Seconds())),
		"--timeout", fmt.Sprintf("%ds", int(w.timeout.Seconds())),
		"-s", script,
		baseURL,
	}
	cmd := exec.CommandContext(ctx, w.path, args...)
	endWithParent(cmd)
	output, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w; its output:\n%s", strings.Join(args, " "), err, output)
	}
	return parseWrkOutput(output)
}

// findWrk returns the path of wrk. When wrk is missing and this process runs as root on a
// system with apt-get, it installs Debian's package wrk first.
func findWrk(ctx context.Context, logf func(format string, args ...any)) (string, error) {
	if path, err := exec.LookPath("wrk"); err == nil {
		return path, nil
	}
	aptGet, err := exec.LookPath("apt-get")
	if err != nil || os.Geteuid() != 0 {
		return "", errors.New("wrk is not installed; install it, for example with apt-get install -y wrk, or name it with -wrk")
	}
	logf("wrk is not installed; installing it with apt-get")
	install := func() error {
		cmd := exec.CommandContext(ctx, aptGet, "install", "-y", "wrk")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		output, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get install -y wrk: %w\n%s", err, output)
		}
		return nil
	}
	if err := install(); err != nil {
		// A new machine may have no package lists yet.
		if output, updateErr := exec.CommandContext(ctx, aptGet, "update").CombinedOutput(); updateErr != nil {
			return "", fmt.Errorf("apt-get update: %w\n%s", updateErr, output)
		}
		if err := install(); err != nil {
			return "", err
		}
	}
	return exec.LookPath("wrk")
}
