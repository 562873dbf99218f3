package main

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is the Markdown output of a load test.
type report struct {
	command string
	// binary names the tested open311 binary and the commit it was built from.
	binary  string
	machine string
	// busy is the share of the processors that other processes used before the run, when
	// it exceeded busyWarning, else 0.
	busy     float64
	settings config
	sizes    []sizeResult
	imports  []importResult
}

func (r *report) write(w io.Writer) {
	cfg := r.settings
	fmt.Fprintf(w, "Command: `%s`\n\n", r.command)
	if r.binary != "" {
		fmt.Fprintf(w, "Binary: %s.\n\n", r.binary)
	}
	fmt.Fprintf(w, "Machine: %s. wrk with %d threads and %d connections, %v per scenario after a %v warm-up; the server logs at level %s.\n",
		r.machine, cfg.threads, cfg.connections, cfg.duration, cfg.warmup, cfg.logLevel)
	if r.busy > 0 {
		fmt.Fprintf(w, "\nWarning: other processes kept the processors %.0f%% busy before the run, so the figures are lower and more scattered than on an idle machine.\n", 100*r.busy)
	}
	fmt.Fprintf(w, "\nThe vs Django column divides by fixed figures of the Django server measured at 100,000 stored requests "+
		"on a machine of this kind (gunicorn with 4 workers, PostgreSQL 15 with PostGIS, wrk at 32 connections), "+
		"whatever the store size of the row; a range comes from a figure given as a range.\n")

	for _, s := range r.sizes {
		fmt.Fprintf(w, "\n### Store of %s requests\n\n", thousands(int64(s.size)))
		if s.reused {
			fmt.Fprint(w, "The store is that of an earlier run (-reuse)")
		} else {
			fmt.Fprintf(w, "open311 seed took %v", s.seedTime.Round(100*time.Millisecond))
			if s.clusterTime > 0 {
				fmt.Fprintf(w, " and open311 cluster %v", s.clusterTime.Round(100*time.Millisecond))
			}
		}
		if !s.seededAt.IsZero() {
			fmt.Fprintf(w, " (open311 seed -seed %d -now %s)", cfg.seed, s.seededAt.Format(time.RFC3339))
		}
		fmt.Fprintf(w, "; the database is %.0f MB; the idle server's RSS was %.1f MB.\n\n", float64(s.dbBytes)/1e6, float64(s.idleRSS)/1e6)
		if s.baseline == nil {
			fmt.Fprintln(w, "The baseline did not run, because -scenarios named neither baseline nor a service list, so the \"of the baseline\" column is empty.")
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "| scenario | requests/s | p50 | p99 | p99.9 | peak RSS | of the baseline | vs Django | errors |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		var baselineRate float64
		if s.baseline != nil {
			baselineRate = s.baseline.wrk.RequestsPerSecond()
		}
		var peak int64
		for _, sr := range s.scenarios {
			peak = max(peak, sr.peakRSS, sr.pacedPeakRSS)
			writeRow(w, sr, baselineRate)
		}
		if s.baseline != nil {
			writeRow(w, *s.baseline, baselineRate)
		}
		writePaced(w, s.scenarios, cfg.connections)
		if peak > 0 {
			fmt.Fprintf(w, "\nThe server's peak RSS over the scenarios was %.0f MB, SQLite included, against %d MB for Django and its database server at 100,000 requests (%.2f×). "+
				"The database file is %.0f MB; the operating system's page cache holds the parts that are read, and is counted for neither.\n",
				float64(peak)/1e6, djangoResidentMB, float64(peak)/1e6/djangoResidentMB, float64(s.dbBytes)/1e6)
		}
	}

	for _, im := range r.imports {
		fmt.Fprintf(w, "\n### open311 import of %s generated requests\n\n", thousands(int64(im.size)))
		fmt.Fprintln(w, "| file | write the file | import, wall | user CPU | system CPU | peak RSS | requests/s |")
		fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		fmt.Fprintf(w, "| %.0f MB | %v | %v | %v | %v | %.0f MB | %s |\n",
			float64(im.fileBytes)/1e6, im.writeTime.Round(100*time.Millisecond), im.wall.Round(100*time.Millisecond),
			im.user.Round(100*time.Millisecond), im.system.Round(100*time.Millisecond), float64(im.peakRSS)/1e6,
			thousands(int64(float64(im.size)/im.wall.Seconds())))
	}
}

// writePaced writes the table of the paced runs, when there are any.
func writePaced(w io.Writer, results []scenarioResult, connections int) {
	header := false
	for _, sr := range results {
		p := sr.paced
		if p == nil {
			continue
		}
		if !header {
			header = true
			fmt.Fprintf(w, "\nAt a fixed rate (open loop): the same scenarios for the same time on %d connections, each request sent on "+
				"schedule whether or not earlier ones had their responses, its latency counted from that moment. "+
				"Not sent counts the requests dropped because %s were already waiting for a connection; "+
				"sender CPU is the processor time of this load test's sender, in percent of one core, which the server did not have; "+
				"where there are any, the latencies leave them out and are lower bounds. "+
				"Each offered rate is the scenario's target: the Django figure times the factor required of it "+
				"(50× by id, 100× the lists and the box, 1,000× the circle), whatever the wrk run above reached. "+
				"Results and size are the means of %d responses to the same requests, sent one at a time after the run.\n\n", connections, thousands(maxQueued), responseSamples)
			fmt.Fprintln(w, "| scenario | offered requests/s | completed requests/s | p50 | p99 | p99.9 | max | peak RSS | errors | not sent | sender CPU | results | size |")
			fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		}
		results, size := "", ""
		if a := sr.responses; a != nil && a.sampled > 0 {
			results, size = fmt.Sprintf("%.1f", a.results), fmt.Sprintf("%.1f KB", a.bytes/1e3)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %.0f MB | %d | %d | %.0f%% | %s | %s |\n", sr.scenario.title, formatRate(p.rate),
			formatRate(p.RequestsPerSecond()), formatLatency(p.p50), formatLatency(p.p99), formatLatency(p.p999),
			formatLatency(p.maxLatency), float64(sr.pacedPeakRSS)/1e6, p.errors, p.skipped, p.senderShare(), results, size)
	}
}

func writeRow(w io.Writer, sr scenarioResult, baselineRate float64) {
	rate := sr.wrk.RequestsPerSecond()
	ofBaseline := ""
	if baselineRate > 0 {
		ofBaseline = formatPercent(rate / baselineRate)
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f MB | %s | %s | %d |\n", sr.scenario.title, formatRate(rate),
		formatLatency(sr.wrk.P50), formatLatency(sr.wrk.P99), formatLatency(sr.wrk.P999), float64(sr.peakRSS)/1e6,
		ofBaseline, djangoRatio(rate, sr.scenario.django), sr.wrk.Errors())
}

// djangoRatio returns how many times the Django reference rate is, or a range when the
// reference is one.
func djangoRatio(rate float64, django [2]float64) string {
	switch {
	case django[0] == 0:
		return ""
	case django[0] == django[1]:
		return fmt.Sprintf("%.1f×", rate/django[0])
	}
	return fmt.Sprintf("%s–%s×", thousands(int64(rate/django[1]+0.5)), thousands(int64(rate/django[0]+0.5)))
}

// describeBinary returns the path of an open311 binary, its Go and SQLite versions and the
// commit that its build information names, such as "/tmp/open311 (go1.26.8,
// modernc.org/sqlite v1.62.0), built from commit 0123abc". A binary built outside a Git
// checkout, or with -buildvcs=false, names no commit.
func describeBinary(path string) string {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return path + ", whose build information could not be read: " + err.Error()
	}
	var revision, modified string
	for _, setting := range info.Settings {
		switch setting.Key {
		case "vcs.revision":
			revision = setting.Value
		case "vcs.modified":
			modified = setting.Value
		}
	}
	// The SQLite of the embedded store is that of its Go module.
	versions := info.GoVersion
	for _, dep := range info.Deps {
		if dep.Path == "modernc.org/sqlite" {
			versions += ", " + dep.Path + " " + dep.Version
		}
	}
	description := path + " (" + versions + ")"
	if revision == "" {
		return description + ", without a commit in its build information (built outside a Git checkout, or with -buildvcs=false)"
	}
	description += ", built from commit " + revision[:min(len(revision), 12)]
	if modified == "true" {
		description += " with uncommitted changes"
	}
	return description
}

// formatPercent formats a share as a percentage with two significant digits, such as 74%,
// 0.75% or 0.0075%.
func formatPercent(share float64) string {
	percent := share * 100
	if percent >= 10 || percent <= 0 {
		return fmt.Sprintf("%.0f%%", percent)
	}
	digits := max(0, 1-int(math.Floor(math.Log10(percent))))
	return fmt.Sprintf("%.*f%%", digits, percent)
}

func formatRate(rate float64) string {
	if rate >= 100 {
		return thousands(int64(rate + 0.5))
	}
	return fmt.Sprintf("%.1f", rate)
}

// formatLatency formats microseconds as milliseconds or seconds.
func formatLatency(us int64) string {
	switch {
	case us >= 1_000_000:
		return fmt.Sprintf("%.2f s", float64(us)/1e6)
	case us >= 10_000:
		return fmt.Sprintf("%.0f ms", float64(us)/1e3)
	}
	return fmt.Sprintf("%.2f ms", float64(us)/1e3)
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// describeMachine returns the processor, the cores, the memory, the Go and wrk versions and
// the load average when the test starts.
func describeMachine(ctx context.Context) string {
	model := firstField("/proc/cpuinfo", "model name")
	memory := firstField("/proc/meminfo", "MemTotal")
	load, _ := os.ReadFile("/proc/loadavg")
	loadFields := strings.Fields(string(load))
	if len(loadFields) > 3 {
		loadFields = loadFields[:3]
	}
	wrkVersion := "wrk"
	if output, err := exec.CommandContext(ctx, "wrk", "-v").CombinedOutput(); err == nil || len(output) > 0 {
		if line, _, _ := strings.Cut(string(output), "\n"); strings.HasPrefix(line, "wrk ") {
			wrkVersion = strings.Join(strings.Fields(line)[:2], " ")
		}
	}
	return fmt.Sprintf("%d cores of %s, %s of memory, %s, %s, load average %s at the start",
		runtime.NumCPU(), model, memory, runtime.Version(), wrkVersion, strings.Join(loadFields, " "))
}

// busyWarning is the share of the processors in use before a run above which the load test
// warns that its figures are not those of an idle machine.
const busyWarning = 0.25

// busyShare returns the share of the processors' time that was not idle over the interval,
// from the first line of /proc/stat before and after it.
func busyShare(ctx context.Context, interval time.Duration) (float64, error) {
	busy0, total0, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	select {
	case <-time.After(interval):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	busy1, total1, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	if total1 <= total0 {
		return 0, errors.New("/proc/stat did not advance")
	}
	return float64(busy1-busy0) / float64(total1-total0), nil
}

// cpuTimes returns the processors' time that was busy and in total since boot, in the
// clock ticks of /proc/stat. Idle and waiting for I/O count as not busy.
func cpuTimes() (busy, total uint64, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	// user, nice, system, idle, iowait, irq, softirq and steal. The guest times that may
	// follow are part of user and nice already.
	for i, field := range fields[1:min(len(fields), 9)] {
		n, err := strconv.ParseUint(field, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += n
		if i != 3 && i != 4 { // idle and iowait
			busy += n
		}
	}
	return busy, total, nil
}

// firstField returns the value of the first "name: value" line of a /proc file.
func firstField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		key, value, ok := strings.Cut(scanner.Text(), ":")
		if ok && strings.TrimSpace(key) == name {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

func sortedKeys(m map[string]bool) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
