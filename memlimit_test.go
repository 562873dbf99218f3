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
	beforePercent := debug.SetGCPercent(100)
	t.Cleanup(func() {
		debug.SetMemoryLimit(before)
		debug.SetGCPercent(beforePercent)
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := func(vars map[string]string) environment {
		return environment{getenv: func(name string) string { return vars[name] }, stdout: io.Discard, stderr: io.Discard}
	}

	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(env(map[string]string{"GOMEMLIMIT": "1GiB"}), headroomSize{sizeOrZero: 64 << 20}, logger)
	setMemoryLimit(env(nil), headroomSize{}, logger)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set or no headroom, the limit became %d", got)
	}

	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOMEMLIMIT set or no headroom, GOGC became %d, want it left at 100", got)
	}

	setMemoryLimit(env(nil), headroomSize{sizeOrZero: 64 << 20}, logger)
	got := debug.SetMemoryLimit(-1)
	if got < 64<<20 || got > 64<<20+512<<20 {
		t.Errorf("limit %d MiB, want 64 MiB above what a test process uses", got>>20)
	}
	if got := debug.SetGCPercent(100); got != -1 {
		t.Errorf("with the limit set, GOGC is %d, want off (-1), so that the limit paces the collector", got)
	}

	setMemoryLimit(env(map[string]string{"GOGC": "200"}), headroomSize{sizeOrZero: 64 << 20}, logger)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with a GOGC variable, GOGC became %d, want it left as the runtime set it", got)
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

	restore := collectOftenWhileLoading(env(nil), headroomSize{auto: true})
	if got := debug.SetGCPercent(loadGCPercent); got != loadGCPercent {
		t.Errorf("while loading, GOGC = %d, want %d", got, loadGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after loading, GOGC = %d, want 100 again", got)
	}

	for _, vars := range []map[string]string{{"GOGC": "200"}, {"GOMEMLIMIT": "1GiB"}} {
		restore := collectOftenWhileLoading(env(vars), headroomSize{auto: true})
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("with %v, GOGC while loading = %d, want it left at 100", vars, got)
		}
		restore()
	}
	collectOftenWhileLoading(env(nil), headroomSize{})()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with no headroom, GOGC = %d, want it left at 100", got)
	}
}

// TestAutoHeadroom checks that the automatic headroom is half the memory in use, within its
// bounds.
func TestAutoHeadroom(t *testing.T) {
	auto := headroomSize{auto: true}
	for used, want := range map[int64]int64{20 << 20: 48 << 20, 150 << 20: 75 << 20, 145 << 20: 145 << 19, 400 << 20: 96 << 20} {
		if got := auto.bytes(used); got != want {
			t.Errorf("auto headroom for %d MiB in use = %d MiB, want %d MiB", used>>20, got>>20, want>>20)
		}
	}
	if got := (headroomSize{sizeOrZero: 64 << 20}).bytes(400 << 20); got != 64<<20 {
		t.Errorf("a headroom of 64 MiB for 400 MiB in use = %d MiB", got>>20)
	}
}

// TestHeadroomFlag checks that -memory-headroom takes auto, sizes and 0.
func TestHeadroomFlag(t *testing.T) {
	for text, want := range map[string]int64{"0": 0, "0MiB": 0, "96MiB": 96 << 20, "1048576": 1 << 20, "1GiB": 1 << 30} {
		var s sizeOrZero
		if err := s.Set(text); err != nil || int64(s) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", text, s, err, want)
		}
	}
	for text, want := range map[string]string{
		"9999999999MiB": `"9999999999MiB" is too large: use at most 1024GiB`,
		"4TiB":          `"4TiB" is not a size in bytes such as 1048576 or 1MiB`,
	} {
		var s sizeOrZero
		if err := s.Set(text); err == nil || err.Error() != want {
			t.Errorf("Set(%q) error = %v, want %s", text, err, want)
		}
	}
	for _, text := range []string{"-1", "lots", ""} {
		var s sizeOrZero
		if err := s.Set(text); err == nil {
			t.Errorf("Set(%q) accepted %d", text, s)
		}
	}
	for text, ok := range map[string]bool{"0": true, "16MiB": true, "auto": true, "100": false, "15MiB": false, "automatic": false} {
		h := headroomSize{auto: true}
		if err := h.Set(text); (err == nil) != ok {
			t.Errorf("-memory-headroom %s: error %v, want accepted = %v", text, err, ok)
		}
		if ok && h.String() != text {
			t.Errorf("-memory-headroom %s reads back as %s", text, h.String())
		}
	}
}
