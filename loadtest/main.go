// Command loadtest measures the open311 server under load with wrk, on this machine.
//
// For each store size it seeds a SQLite store with open311 seed, stores its requests in
// place order with open311 cluster (unless -cluster=false), starts open311 serve on
// loopback, and runs each scenario with wrk (a warm-up, then a measured run) while it samples
// the server's resident memory. The scenarios with latency targets then run as long again at
// their target rate from a sender of its own, which sends on schedule whether or not earlier
// requests had their responses (-paced). A bare net/http server that returns the bytes of the service
// list runs the same way, as the baseline of what Go's HTTP stack serves here. Last, it times
// open311 import of a generated GeoReport v2 JSON file. It prints a Markdown table per size.
//
// Run it from the repository's root:
//
//	go run ./loadtest -sizes 10000,1000000 -duration 15s
//
// wrk comes from Debian's package wrk, which loadtest installs with apt-get when it runs as
// root and wrk is missing. Every request goes to 127.0.0.1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/open311-to-go/open311/seed"
)

// config holds the flags.
type config struct {
	sizes       []int
	duration    time.Duration
	warmup      time.Duration
	connections int
	threads     int
	seed        uint64
	importSize  int
	only        map[string]bool
	binary      string
	wrk         string
	dir         string
	keep        bool
	logLevel    string
	paced       bool
	reuse       bool
	cluster     bool
	addr        string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	var usage usageError
	switch {
	case errors.As(err, &usage):
		// A wrong command line exits with 2, as Go's flag package and open311's commands do.
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// usageError is an error in the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return usageError{err}
	}
	// An -addr in use fails now rather than after minutes of building and seeding.
	if _, err := (&loadTest{cfg: cfg}).address(); err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}

	if cfg.wrk == "" {
		if cfg.wrk, err = findWrk(ctx, logf); err != nil {
			return err
		}
	}
	dir := cfg.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "open311-loadtest-"); err != nil {
			return err
		}
		if !cfg.keep {
			defer os.RemoveAll(dir)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	binaries, err := build(ctx, cfg.binary, cfg.needsBaseline(), dir, logf)
	if err != nil {
		return err
	}
	lt := &loadTest{cfg: cfg, dir: dir, bin: binaries, logf: logf,
		wrk: wrkSettings{path: cfg.wrk, threads: cfg.threads, connections: cfg.connections, timeout: 10 * time.Second}}

	report := &report{command: commandLine(args), binary: describeBinary(binaries.open311), machine: describeMachine(ctx), settings: cfg}
	// The load average at the start includes the build, so the processors' use is sampled
	// over a second once it has ended, while the load test itself is idle.
	if busy, err := busyShare(ctx, time.Second); err == nil && busy > busyWarning {
		report.busy = busy
		logf("warning: the processors were %.0f%% busy before the run, with the load test idle; other processes will lower and scatter its figures", 100*busy)
	}
	for _, size := range cfg.sizes {
		result, err := lt.runSize(ctx, size)
		if err != nil {
			return fmt.Errorf("store of %d requests: %w", size, err)
		}
		report.sizes = append(report.sizes, result)
	}
	if cfg.importSize > 0 && (len(cfg.only) == 0 || cfg.only["import"]) {
		result, err := lt.runImport(ctx, cfg.importSize)
		if err != nil {
			return fmt.Errorf("import of %d requests: %w", cfg.importSize, err)
		}
		report.imports = append(report.imports, result)
	}
	report.write(stdout)
	return nil
}

// commandLine returns the command that reruns this test: go run ./loadtest with the flags,
// when go run built this program into a temporary folder.
func commandLine(args []string) string {
	program := args[0]
	if strings.Contains(program, "go-build") {
		program = "go run ./loadtest"
	}
	return strings.Join(append([]string{program}, args[1:]...), " ")
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet(filepath.Base(args[0]), flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./loadtest [flags]   (from the repository's root)

Measures open311 under load on this machine. For each -sizes store it seeds a SQLite store
with open311 seed (stores of an earlier -keep run with -reuse), runs open311 cluster on it,
serves it on loopback and drives each scenario with wrk, then at its target rate; it ends
with the bare net/http baseline and times open311 import of a generated JSON file of -import
requests. It prints Markdown tables. The defaults seed 10,000 and 1,000,000 requests and
import 1,000,000, which takes about 12 minutes and about 6 GB of disk; a quick look:

  go run ./loadtest -sizes 10000 -scenarios request-by-id,radius -duration 3s -warmup 1s -import 0

When wrk is missing and the user is root, it installs Debian's wrk package with apt-get.
Every request goes to 127.0.0.1 or the -addr loopback address.

`)
		fs.PrintDefaults()
	}
	sizes := fs.String("sizes", "10000,1000000", "comma-separated store `sizes` in requests")
	fs.DurationVar(&cfg.duration, "duration", 15*time.Second, "measured time of each scenario, whole seconds")
	fs.DurationVar(&cfg.warmup, "warmup", 5*time.Second, "warm-up time before each scenario's measured run, whole seconds; 0 skips it")
	fs.IntVar(&cfg.connections, "connections", 32, "connections of wrk and of the paced runs")
	fs.IntVar(&cfg.threads, "threads", 2, "wrk threads")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the generated requests and of the scripts' random values")
	fs.IntVar(&cfg.importSize, "import", 1_000_000, "requests in the JSON file that open311 import is timed on; 0 skips it")
	only := fs.String("scenarios", "", "comma-separated scenarios to run, of "+strings.Join(scenarioNames(), ", ")+" (default all)")
	fs.StringVar(&cfg.binary, "binary", "", "open311 `binary` to test (default: go build of the current folder)")
	fs.StringVar(&cfg.wrk, "wrk", "", "wrk `binary` (default: wrk on the PATH, installed with apt-get when missing)")
	fs.StringVar(&cfg.dir, "dir", "", "`folder` for stores, scripts and logs (default: a temporary folder, removed at the end)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary folder (a -dir folder is always kept)")
	fs.StringVar(&cfg.logLevel, "log-level", "warn", "-log-level of the server; info logs every request")
	fs.BoolVar(&cfg.reuse, "reuse", false, "use the stores that an earlier run with -keep and the same -dir and -seed left, instead of seeding new ones")
	fs.BoolVar(&cfg.cluster, "cluster", true, "run open311 cluster on each seeded store, which stores its requests in the order of their places")
	fs.StringVar(&cfg.addr, "addr", "", "loopback `address` such as 127.0.0.1:8311 that the server under test and then the baseline listen on (default: a port that the kernel picks)")
	fs.BoolVar(&cfg.paced, "paced", true, "after wrk, also send the scenarios with latency targets at a fixed rate (open loop) and report their latency")
	if err := fs.Parse(args[1:]); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q; flags only", fs.Arg(0))
	}

	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(s, "_", "")))
		if err != nil || n <= 0 {
			return config{}, fmt.Errorf("-sizes: %q is not a positive number of requests; use a list such as 10000,1000000", s)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	for _, d := range []struct {
		name  string
		value time.Duration
		min   time.Duration
	}{{"-duration", cfg.duration, time.Second}, {"-warmup", cfg.warmup, 0}} {
		if d.value < d.min || d.value%time.Second != 0 {
			return config{}, fmt.Errorf("%s %v is not valid; use whole seconds, such as 15s", d.name, d.value)
		}
	}
	if cfg.importSize < 0 {
		return config{}, fmt.Errorf("-import %d is not valid; use a number of requests, or 0 to skip the import", cfg.importSize)
	}
	if cfg.reuse && cfg.dir == "" {
		return config{}, errors.New("-reuse needs the -dir of an earlier run with -keep")
	}
	if cfg.connections < cfg.threads || cfg.threads < 1 {
		return config{}, fmt.Errorf("-connections %d and -threads %d are not valid; use at least one thread and at least one connection per thread", cfg.connections, cfg.threads)
	}
	if cfg.addr != "" {
		if err := checkLoopback(cfg.addr); err != nil {
			return config{}, err
		}
	}
	if *only != "" {
		cfg.only = map[string]bool{}
		known := map[string]bool{}
		for _, name := range scenarioNames() {
			known[name] = true
		}
		for _, name := range strings.Split(*only, ",") {
			if !known[name] {
				return config{}, fmt.Errorf("-scenarios: unknown scenario %q; use %s", name, strings.Join(sortedKeys(known), ", "))
			}
			cfg.only[name] = true
		}
	}
	return cfg, nil
}

// scenarioNames returns the names that -scenarios takes: the scenarios in the order they
// run, then baseline and import.
func scenarioNames() []string {
	var names []string
	for _, s := range scenarios("", scriptData{}) {
		names = append(names, s.name)
	}
	return append(names, "baseline", "import")
}

// binaries are the programs under test.
type binaries struct {
	open311  string
	baseline string
}

// build builds the baseline server when baseline is set, and open311 unless binary names
// one.
func build(ctx context.Context, binary string, baseline bool, dir string, logf func(string, ...any)) (binaries, error) {
	b := binaries{open311: binary}
	var targets [][2]string
	if baseline {
		b.baseline = filepath.Join(dir, "baseline")
		targets = append(targets, [2]string{"./loadtest/baseline", b.baseline})
	}
	if binary == "" {
		b.open311 = filepath.Join(dir, "open311")
		targets = append(targets, [2]string{".", b.open311})
	}
	for _, t := range targets {
		// -buildvcs=auto records the commit in the binary, which the report names, even where
		// GOFLAGS turns it off.
		logf("go build -buildvcs=auto -o %s %s", t[1], t[0])
		output, err := exec.CommandContext(ctx, "go", "build", "-buildvcs=auto", "-o", t[1], t[0]).CombinedOutput()
		if err != nil {
			return binaries{}, fmt.Errorf("go build %s: %w (run loadtest from the repository's root)\n%s", t[0], err, output)
		}
	}
	return b, nil
}

// loadTest runs the measurements.
type loadTest struct {
	cfg  config
	dir  string
	bin  binaries
	wrk  wrkSettings
	logf func(string, ...any)
}

// sizeResult holds the measurements on one store.
type sizeResult struct {
	size     int
	seedTime time.Duration
	// seededAt is the -now of the seed, which fixes the stored dates and, with -seed, the ids.
	seededAt time.Time
	// reused is set when the run served a store that an earlier run seeded (-reuse).
	reused bool
	// clusterTime is the time of open311 cluster after the seed, 0 when -cluster=false.
	clusterTime time.Duration
	dbBytes     int64
	idleRSS     int64
	baseline    *scenarioResult
	scenarios   []scenarioResult
}

// scenarioResult is one scenario's wrk result, its paced result when it has a paced run, and
// the server's peak resident memory during each.
type scenarioResult struct {
	scenario     scenario
	wrk          wrkResult
	paced        *pacedResult
	peakRSS      int64 // bytes, during the wrk run
	pacedPeakRSS int64 // bytes, during the paced run
	// responses is the mean size of the scenario's responses, when it has a paced run.
	responses *responseSize
}

func (lt *loadTest) selected(name string) bool {
	return lt.cfg.selected(name)
}

// selected reports whether the run includes the scenario name: -scenarios names it, or is
// empty.
func (cfg config) selected(name string) bool {
	return len(cfg.only) == 0 || cfg.only[name]
}

// needsBaseline reports whether the run serves the baseline: when -scenarios names it or a
// service list scenario, whose target is a fraction of the baseline.
func (cfg config) needsBaseline() bool {
	return cfg.selected("baseline") || cfg.selected("services-json") || cfg.selected("services-xml")
}

// runSize seeds a store of size requests, serves it and runs the scenarios and the baseline.
func (lt *loadTest) runSize(ctx context.Context, size int) (sizeResult, error) {
	result := sizeResult{size: size}
	db := filepath.Join(lt.dir, fmt.Sprintf("store-%d.db", size))
	nowFile := db + ".now"
	if lt.cfg.reuse {
		// The seed's time fixes the stored dates, which the scripts' windows follow, and its
		// -seed the ids that the scripts draw.
		text, err := os.ReadFile(nowFile)
		if err != nil {
			return result, fmt.Errorf("-reuse: %w; run once with -keep and -dir first", err)
		}
		var seeded string
		var seed uint64
		if _, err := fmt.Sscan(string(text), &seeded, &seed); err != nil {
			return result, fmt.Errorf("-reuse: %s: %w; run once more with -keep and -dir", nowFile, err)
		}
		now, err := time.Parse(time.RFC3339, seeded)
		if err != nil {
			return result, fmt.Errorf("-reuse: %s: %w", nowFile, err)
		}
		if seed != lt.cfg.seed {
			return result, fmt.Errorf("-reuse: %s was seeded with -seed %d, not %d; give -seed %d", db, seed, lt.cfg.seed, seed)
		}
		lt.logf("reusing %s, seeded at %s", db, now.Format(time.RFC3339))
		result.reused = true
		result.seededAt = now
		result.dbBytes = fileSize(db) + fileSize(db+"-wal")
		return lt.serveSize(ctx, result, db, now)
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".now"} {
		os.Remove(db + suffix)
	}
	now := time.Now().UTC().Truncate(time.Second)
	result.seededAt = now

	lt.logf("seeding %d requests into %s", size, db)
	started := time.Now()
	if output, err := lt.open311(ctx, "seed", "-db", db, "-n", strconv.Itoa(size), "-seed", strconv.FormatUint(lt.cfg.seed, 10),
		"-now", now.Format(time.RFC3339)); err != nil {
		if strings.Contains(string(output), `unknown command "seed"`) {
			return result, fmt.Errorf("%s has no seed command; build one whose run.go runs seedCommand for seed, and name it with -binary", lt.bin.open311)
		}
		return result, fmt.Errorf("open311 seed: %w\n%s", err, output)
	}
	result.seedTime = time.Since(started)
	if lt.cfg.cluster {
		lt.logf("clustering %s", db)
		started := time.Now()
		if output, err := lt.open311(ctx, "cluster", "-db", db); err != nil {
			return result, fmt.Errorf("open311 cluster: %w\n%s", err, output)
		}
		result.clusterTime = time.Since(started)
	}
	result.dbBytes = fileSize(db) + fileSize(db+"-wal")

	// The kernel writes the seeded file back to disk for a while after the seed ends, and
	// that would slow the first scenarios, so the writeback happens now.
	lt.logf("syncing the file system")
	syscall.Sync()
	lt.logf("seeded in %v, %.0f MB", result.seedTime.Round(time.Millisecond), float64(result.dbBytes)/1e6)
	if err := os.WriteFile(nowFile, []byte(fmt.Sprintf("%s %d\n", now.Format(time.RFC3339), lt.cfg.seed)), 0o644); err != nil {
		return result, err
	}
	return lt.serveSize(ctx, result, db, now)
}

// serveSize serves the seeded store db and runs the scenarios and the baseline on it.
func (lt *loadTest) serveSize(ctx context.Context, result sizeResult, db string, now time.Time) (sizeResult, error) {
	size := result.size
	output, err := lt.open311(ctx, "keys", "create", "-db", db, fmt.Sprintf("loadtest-%d", time.Now().UnixNano()))
	if err != nil {
		return result, fmt.Errorf("open311 keys create: %w\n%s", err, output)
	}
	fields := strings.Fields(string(output))
	apiKey := fields[len(fields)-1]

	// The same generator as the seed gives the ids of the store: the first 5,000 requests,
	// whose dates are spread as all the others.
	generator := seed.New(seed.Options{Seed: lt.cfg.seed, Now: now})
	var ids []string
	for range min(size, 5000) {
		ids = append(ids, generator.Request().ID)
	}
	data := newScriptData(ids, apiKey, now, rand.New(rand.NewPCG(lt.cfg.seed, 2)))

	addr, err := lt.address()
	if err != nil {
		return result, err
	}
	server, err := lt.start(ctx, fmt.Sprintf("server-%d", size), lt.bin.open311, "serve", "-addr", addr, "-db", db,
		"-media", "file:"+filepath.Join(lt.dir, "media"), "-log-level", lt.cfg.logLevel)
	if err != nil {
		return result, err
	}
	defer server.stop()
	baseURL := "http://" + addr
	if err := server.waitHealthy(ctx, baseURL+"/healthz"); err != nil {
		return result, fmt.Errorf("open311 serve: %w", err)
	}
	if status, err := readStatus(server.cmd.Process.Pid); err == nil {
		result.idleRSS = status["VmRSS"] * 1024
	}
	servicesFile := filepath.Join(lt.dir, "services.json")
	if err := download(ctx, baseURL+"/open311/v2/services.json", servicesFile); err != nil {
		return result, err
	}

	for _, s := range scenarios("/open311/v2", data) {
		if !lt.selected(s.name) {
			continue
		}
		r, err := lt.measure(ctx, s, data, baseURL, server.cmd.Process.Pid)
		if err != nil {
			return result, err
		}
		result.scenarios = append(result.scenarios, r)
	}
	if err := server.stop(); err != nil {
		lt.logf("open311 serve stopped with %v; see %s", err, server.logPath)
	}

	if lt.cfg.needsBaseline() {
		baseline, err := lt.runBaseline(ctx, addr, servicesFile, data)
		if err != nil {
			return result, err
		}
		result.baseline = &baseline
	}
	return result, nil
}

// runBaseline serves the service list's bytes from the baseline server on addr and runs the
// services.json scenario against it.
func (lt *loadTest) runBaseline(ctx context.Context, addr, bodyFile string, data scriptData) (scenarioResult, error) {
	server, err := lt.start(ctx, "baseline", lt.bin.baseline, "-addr", addr, "-body", bodyFile)
	if err != nil {
		return scenarioResult{}, err
	}
	defer server.stop()
	baseURL := "http://" + addr
	if err := server.waitHealthy(ctx, baseURL+"/"); err != nil {
		return scenarioResult{}, fmt.Errorf("baseline: %w", err)
	}
	s := scenario{name: "baseline", title: "baseline: net/http writing the services.json bytes",
		request: static("GET", "/open311/v2/services.json")}
	return lt.measure(ctx, s, data, baseURL, server.cmd.Process.Pid)
}

// measure runs one scenario: a warm-up, then the measured run while the memory of pid is
// sampled.
func (lt *loadTest) measure(ctx context.Context, s scenario, data scriptData, baseURL string, pid int) (scenarioResult, error) {
	script, err := writeScript(lt.dir, s, data)
	if err != nil {
		return scenarioResult{}, err
	}
	if lt.cfg.warmup > 0 {
		if _, err := lt.wrk.run(ctx, baseURL, script, lt.cfg.warmup); err != nil {
			return scenarioResult{}, fmt.Errorf("%s warm-up: %w", s.name, err)
		}
	}
	memory := startMemorySampler(pid)
	result, err := lt.wrk.run(ctx, baseURL, script, lt.cfg.duration)
	peak := memory.Stop()
	if err != nil {
		return scenarioResult{}, fmt.Errorf("%s: %w", s.name, err)
	}
	lt.logf("%-16s %9.1f requests/s  p50 %s  p99 %s  p99.9 %s  peak RSS %.1f MB  errors %d", s.name,
		result.RequestsPerSecond(), formatLatency(result.P50), formatLatency(result.P99), formatLatency(result.P999),
		float64(peak)/1e6, result.Errors())
	// A run where most requests fail measures error responses, not the scenario.
	if result.Errors() > result.Requests/2 {
		return scenarioResult{}, fmt.Errorf("%s: %d of %d requests failed; see the server's log in %s", s.name, result.Errors(), result.Requests, lt.dir)
	}
	sr := scenarioResult{scenario: s, wrk: result, peakRSS: peak}

	if lt.cfg.paced && s.pacedRate > 0 {
		memory := startMemorySampler(pid)
		paced, err := runPaced(ctx, baseURL, s.pacedRate, lt.cfg.duration, lt.cfg.connections, lt.cfg.seed, s.paced)
		sr.pacedPeakRSS = memory.Stop()
		if err != nil {
			return scenarioResult{}, fmt.Errorf("%s at %.0f requests/s: %w", s.name, s.pacedRate, err)
		}
		lt.logf("%-16s paced at %.0f/s: %9.1f requests/s  p50 %s  p99 %s  p99.9 %s  peak RSS %.1f MB  errors %d  not sent %d  sender CPU %.0f%%", s.name,
			paced.rate, paced.RequestsPerSecond(), formatLatency(paced.p50), formatLatency(paced.p99), formatLatency(paced.p999),
			float64(sr.pacedPeakRSS)/1e6, paced.errors, paced.skipped, paced.senderShare())
		if paced.firstError != "" {
			lt.logf("%-16s first error of the paced run: %s", s.name, paced.firstError)
		}
		if paced.errors > paced.sent/2 {
			return scenarioResult{}, fmt.Errorf("%s at %.0f requests/s: %d of %d requests failed, the first with %s", s.name, s.pacedRate, paced.errors, paced.sent, paced.firstError)
		}
		sr.paced = &paced

		size, err := sampleResponses(ctx, baseURL, responseSamples, lt.cfg.seed, s.paced)
		if err != nil {
			return scenarioResult{}, fmt.Errorf("%s, sizes of the responses: %w", s.name, err)
		}
		lt.logf("%-16s responses: %.1f results, %.1f KB on average (%d sampled)", s.name, size.results, size.bytes/1e3, size.sampled)
		sr.responses = &size
	}
	return sr, nil
}

// importResult is the timing of open311 import.
type importResult struct {
	size      int
	fileBytes int64
	writeTime time.Duration
	wall      time.Duration
	user      time.Duration
	system    time.Duration
	peakRSS   int64
	output    string
}

// runImport writes a JSON file of size generated requests and times open311 import of it
// into a new store.
func (lt *loadTest) runImport(ctx context.Context, size int) (importResult, error) {
	result := importResult{size: size}
	file := filepath.Join(lt.dir, fmt.Sprintf("import-%d.json", size))
	db := filepath.Join(lt.dir, fmt.Sprintf("import-%d.db", size))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(db + suffix)
	}

	lt.logf("writing %d requests to %s", size, file)
	started := time.Now()
	f, err := os.Create(file)
	if err != nil {
		return result, err
	}
	err = seed.WriteJSON(f, seed.New(seed.Options{Seed: lt.cfg.seed + 1}), size)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return result, fmt.Errorf("write %s: %w", file, err)
	}
	result.writeTime = time.Since(started)
	result.fileBytes = fileSize(file)
	// As after the seed, the kernel would write the new file back to disk during the
	// import and slow it, while a file to import is usually on disk already.
	lt.logf("syncing the file system")
	syscall.Sync()

	lt.logf("open311 import -db %s %s", db, file)
	cmd := exec.CommandContext(ctx, lt.bin.open311, "import", "-db", db, file)
	started = time.Now()
	output, err := cmd.CombinedOutput()
	result.wall = time.Since(started)
	result.output = strings.TrimSpace(string(output))
	if err != nil {
		return result, fmt.Errorf("open311 import: %w\n%s", err, output)
	}
	if usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		result.peakRSS = usage.Maxrss * 1024
		result.user = time.Duration(usage.Utime.Nano())
		result.system = time.Duration(usage.Stime.Nano())
	}
	lt.logf("imported in %v: %s", result.wall.Round(time.Millisecond), result.output)
	os.Remove(file)
	return result, nil
}

// open311 runs the open311 binary with args and returns its combined output.
func (lt *loadTest) open311(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, lt.bin.open311, args...).CombinedOutput()
}

// process is a server that the load test started.
type process struct {
	cmd     *exec.Cmd
	logPath string
	stopped bool
	// exited is closed when the process has ended, with waitErr from its Wait.
	exited  chan struct{}
	waitErr error
}

// start starts a server whose output goes to a log file in the load test's folder.
func (lt *loadTest) start(ctx context.Context, name, binary string, args ...string) (*process, error) {
	logPath := filepath.Join(lt.dir, name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdout, cmd.Stderr = log, log
	endWithParent(cmd)
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	log.Close()
	p := &process{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// stop ends the server with SIGTERM, and SIGKILL after 15 s.
func (p *process) stop() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
	return p.waitErr
}

// waitHealthy waits until a GET of url returns 200, for up to 30 s. A server that exits
// first fails at once. The error quotes the log, whose folder may be removed.
func (p *process) waitHealthy(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.exited:
			return fmt.Errorf("the server exited (%v) before it served %s; its log begins and ends:\n%s", p.waitErr, url, logEnds(p.logPath, 3))
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not return 200 within 30 s; the server's log begins and ends:\n%s", url, logEnds(p.logPath, 3))
}

// logEnds returns the first and the last n lines of the file at path: a server that
// rejects its flags writes the error first and its usage after it, and one that crashes
// writes the cause last.
func logEnds(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) <= 2*n {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:n], "\n") + "\n…\n" + strings.Join(lines[len(lines)-n:], "\n")
}

// checkLoopback returns an error unless addr is a host and port on a loopback interface,
// because the load must not leave the machine.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q is not a host and port; use a loopback address such as 127.0.0.1:8311 or [::1]:8311", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("-addr %q: port %q is not a number from 1 to 65535", addr, port)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: %q is not a loopback address; use 127.0.0.1, [::1] or localhost", addr, host)
	}
	return nil
}

// address returns the -addr flag after checking that its port is free. Without -addr, it
// returns a loopback address with a port that the kernel picked and that is free now.
func (lt *loadTest) address() (string, error) {
	addr := lt.cfg.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if lt.cfg.addr != "" {
			return "", fmt.Errorf("-addr %s is in use: %w; stop what listens there or pick another port", lt.cfg.addr, err)
		}
		return "", err
	}
	defer l.Close()
	if lt.cfg.addr != "" {
		return lt.cfg.addr, nil
	}
	return l.Addr().String(), nil
}

// download writes the body of a GET of url to path.
func download(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s = %d, want 200", url, resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, body, 0o644)
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}
