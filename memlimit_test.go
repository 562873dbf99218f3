package main

import (
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

// TestSetMemoryLimit checks that serve sets a soft memory limit of what the process uses plus
// the headroom, and leaves the runtime's limit alone when GOMEMLIMIT is set or the headroom
// is 0.
func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := func(vars map[string]string) environment {
		return environment{getenv: func(name string) string { return vars[name] }, stdout: io.Discard, stderr: io.Discard}
	}

	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(env(map[string]string{"GOMEMLIMIT": "1GiB"}), 64<<20, logger)
	setMemoryLimit(env(nil), 0, logger)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set or no headroom, the limit became %d", got)
	}

	setMemoryLimit(env(nil), 64<<20, logger)
	got := debug.SetMemoryLimit(-1)
	if got < 64<<20 || got > 64<<20+512<<20 {
		t.Errorf("limit %d MiB, want 64 MiB above what a test process uses", got>>20)
	}
}

// TestCollectOftenWhileLoading checks that the store opens with loadGCPercent and serves
// with the GOGC it had, unless GOGC or GOMEMLIMIT is set or the headroom is 0.
func TestCollectOftenWhileLoading(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	env := func(vars map[string]string) environment {
		return environment{getenv: func(name string) string { return vars[name] }, stdout: io.Discard, stderr: io.Discard}
	}

	restore := collectOftenWhileLoading(env(nil), 80<<20)
	if got := debug.SetGCPercent(loadGCPercent); got != loadGCPercent {
		t.Errorf("while loading, GOGC = %d, want %d", got, loadGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after loading, GOGC = %d, want 100 again", got)
	}

	for _, vars := range []map[string]string{{"GOGC": "200"}, {"GOMEMLIMIT": "1GiB"}} {
		restore := collectOftenWhileLoading(env(vars), 80<<20)
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("with %v, GOGC while loading = %d, want it left at 100", vars, got)
		}
		restore()
	}
	collectOftenWhileLoading(env(nil), 0)()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with no headroom, GOGC = %d, want it left at 100", got)
	}
}

// TestHeadroomFlag checks that -memory-headroom takes sizes and 0.
func TestHeadroomFlag(t *testing.T) {
	for text, want := range map[string]int64{"0": 0, "96MiB": 96 << 20, "1048576": 1 << 20} {
		var s sizeOrZero
		if err := s.Set(text); err != nil || int64(s) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", text, s, err, want)
		}
	}
	for _, text := range []string{"-1", "lots", ""} {
		var s sizeOrZero
		if err := s.Set(text); err == nil {
			t.Errorf("Set(%q) accepted %d", text, s)
		}
	}
	for text, ok := range map[string]bool{"0": true, "16MiB": true, "100": false, "15MiB": false} {
		var h headroomSize
		if err := h.Set(text); (err == nil) != ok {
			t.Errorf("-memory-headroom %s: error %v, want accepted = %v", text, err, ok)
		}
	}
}
