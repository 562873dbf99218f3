package main

import (
	"fmt"
	"math"
	"path/filepath"
)

// seedBytesPerRequest is about what a generated request takes in a SQLite store (1.94 GB for
// 1,000,000 requests, the search words included) and in a JSON file (2.0 GB).
const seedBytesPerRequest = 2000

// diskFree returns the bytes that this process may still write to the file system of dir,
// and false where the platform does not report it. Tests replace it.
var diskFree = freeBytes

// checkSeedSpace returns an error when writing count generated requests to path would not fit
// in its file system's free space. It checks nothing for MongoDB and in-memory stores.
func checkSeedSpace(flag, path string, count int) error {
	if !isSQLiteFile(path) {
		return nil
	}
	dir := filepath.Dir(path)
	free, ok := diskFree(dir)
	if !ok {
		return nil
	}
	need := uint64(count) * seedBytesPerRequest
	if need/seedBytesPerRequest != uint64(count) {
		need = math.MaxUint64 // the product overflowed
	}
	if need > free {
		return fmt.Errorf("-n %d needs about %s for %s %s, but its file system has %s free; give a smaller -n or another %s",
			count, formatBytes(need), flag, path, formatBytes(free), flag)
	}
	return nil
}

// formatBytes formats a size in decimal units, such as 1.9 GB.
func formatBytes(n uint64) string {
	units := []string{"bytes", "kB", "MB", "GB", "TB", "PB", "EB"}
	value, unit := float64(n), 0
	for value >= 1000 && unit < len(units)-1 {
		value /= 1000
		unit++
	}
	if unit == 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f %s", value, units[unit])
}
