package main

import (
	"log/slog"
	"runtime"
	"runtime/debug"
)

// loadGCPercent is the GOGC setting while the store opens. Loading the SQLite index of
// 1,000,000 requests makes about 150 MB of live heap and as much garbage. With the default
// of 100 the resident size peaked at 295 MB during start-up, and with 25 at 208 MB.
const loadGCPercent = 25

// collectOftenWhileLoading sets loadGCPercent until the returned function is called, under
// the same conditions as setMemoryLimit.
func collectOftenWhileLoading(env environment, headroom headroomSize) (restore func()) {
	if env.getenv("GOMEMLIMIT") != "" || env.getenv("GOGC") != "" || headroom.off() {
		return func() {}
	}
	previous := debug.SetGCPercent(loadGCPercent)
	return func() { debug.SetGCPercent(previous) }
}

// setMemoryLimit sets the Go runtime's soft memory limit to what the process uses once the
// store is open, the SQLite index included, plus headroom. Without a limit the heap grows to
// twice its live size before each collection, which with the index of a large store is
// hundreds of megabytes of garbage. A GOMEMLIMIT variable, or a headroom of 0, leaves the
// runtime's own setting. The limit is soft, so the runtime collects more often as it nears
// the limit and exceeds it rather than fail.
func setMemoryLimit(env environment, headroom headroomSize, logger *slog.Logger) {
	switch {
	case env.getenv("GOMEMLIMIT") != "":
		logger.Info("memory limit left to the Go runtime", "reason", "GOMEMLIMIT is set", "limit_mib", debug.SetMemoryLimit(-1)>>20)
		return
	case headroom.off():
		logger.Info("memory limit left to the Go runtime", "reason", "-memory-headroom is 0")
		return
	}
	debug.FreeOSMemory()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	used := int64(stats.Sys - stats.HeapReleased)
	limit := used + headroom.bytes(used)
	debug.SetMemoryLimit(limit)
	// With the limit set, the collector runs as the heap nears it, unless a GOGC variable
	// sets another pace. GOGC 100 collected each time a small store's heap doubled. At
	// 10,000 requests that was 21 times a second under the load test's services.json
	// scenario, against 7 with GOGC off. The service lists then served 73% of the bare
	// net/http baseline instead of about 80%.
	gogc := env.getenv("GOGC")
	if gogc == "" {
		debug.SetGCPercent(-1)
		gogc = "off"
	}
	logger.Info("memory limit set", "in_use_mib", used>>20, "limit_mib", limit>>20, "gogc", gogc)
}
