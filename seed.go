package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/seed"
)

// seedConfig holds the flags of open311 seed.
type seedConfig struct {
	db           string
	count        int
	seed         uint64
	now          string
	jurisdiction string
	batch        int
	jsonFile     string
	cpuProfile   string
}

// seedCommand runs open311 seed: it generates requests spread like the City of Helsinki's
// feedback and imports them into the store in batches, or writes them to a GeoReport v2
// JSON file. The same -seed, -n and -now give the same requests.
func seedCommand(ctx context.Context, env environment, args []string) error {
	cfg := seedConfig{}
	fs := flag.NewFlagSet("open311 seed", flag.ContinueOnError)
	fs.StringVar(&cfg.db, "db", "open311.db", "store: a SQLite file `path`, or a mongodb:// or mongodb+srv:// URI")
	fs.Var((*wholeNumber)(&cfg.count), "n", "`number` of requests to generate (required)")
	cfg.seed = 1
	fs.Var((*seedNumber)(&cfg.seed), "seed", "`number` that selects the random sequence; the same seed, -n and -now give the same requests")
	fs.StringVar(&cfg.now, "now", "", "newest requested_datetime, a `datetime` in RFC 3339 or a date such as 2026-03-05 (default the current time)")
	fs.StringVar(&cfg.jurisdiction, "jurisdiction", "", "jurisdiction `id` of the requests (needed when the catalog has several)")
	cfg.batch = 5000
	fs.Var((*wholeNumber)(&cfg.batch), "batch", "`number` of requests written to the store in one transaction, 1 to 100000")
	fs.StringVar(&cfg.jsonFile, "json", "", "write the requests to this new GeoReport v2 JSON `file`, or to /dev/stdout, instead of the store")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this `file`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: open311 seed [flags] -n N\n\n"+
			"Generates N requests spread like the City of Helsinki's feedback, in the services of the\n"+
			"demo catalog, and imports them into the store or writes them to a JSON file.\n\n")
		printFlagsExcept(fs, "cpuprofile")
	}
	if err := env.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "open311 seed: unexpected argument %q; flags come before arguments\n", fs.Arg(0))
		return exitError{2}
	}
	if !flagGiven(fs, "n") {
		fmt.Fprintf(env.stderr, "open311 seed: -n is required; give the number of requests to generate, such as -n 10000\n")
		return exitError{2}
	}
	if cfg.count <= 0 {
		fmt.Fprintf(env.stderr, "open311 seed: -n %d is not valid; give the number of requests to generate, such as -n 10000\n", cfg.count)
		return exitError{2}
	}
	if cfg.batch <= 0 || cfg.batch > maxSeedBatch {
		fmt.Fprintf(env.stderr, "open311 seed: -batch %d is not valid; use 1 to %d, such as 5000\n", cfg.batch, maxSeedBatch)
		return exitError{2}
	}
	cfg.batch = min(cfg.batch, cfg.count)
	if err := checkSeedPaths(cfg); err != nil {
		fmt.Fprintf(env.stderr, "open311 seed: %v\n", err)
		return exitError{2}
	}
	target, targetFlag := cfg.db, "-db"
	if cfg.jsonFile != "" {
		target, targetFlag = cfg.jsonFile, "-json"
	}
	if err := checkSeedSpace(targetFlag, target, cfg.count); err != nil {
		fmt.Fprintf(env.stderr, "open311 seed: %v\n", err)
		return exitError{2}
	}
	now := time.Now()
	if cfg.now != "" {
		var ok bool
		if now, ok = georeport.ParseDateTime(cfg.now, time.UTC); !ok {
			fmt.Fprintf(env.stderr, "open311 seed: -now %q is not a datetime; use RFC 3339, such as 2026-03-05T08:00:00Z, or a date, such as 2026-03-05\n", cfg.now)
			return exitError{2}
		}
	}

	if cfg.cpuProfile != "" {
		stop, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}

	generator := seed.New(seed.Options{Seed: cfg.seed, Now: now, Jurisdiction: cfg.jurisdiction})
	started := time.Now()
	if cfg.jsonFile != "" {
		if err := writeSeedJSON(ctx, cfg.jsonFile, generator, cfg.count); err != nil {
			fmt.Fprintf(env.stderr, "open311 seed: %v\n", err)
			return exitError{1}
		}
		// The summary goes to stderr when the requests went to a stream such as /dev/stdout,
		// whose reader expects JSON alone.
		summary := env.stdout
		if isStream(cfg.jsonFile) {
			summary = env.stderr
		}
		fmt.Fprintf(summary, "%s: wrote %s (%s)\n", cfg.jsonFile, plural(cfg.count, "request"), time.Since(started).Round(time.Millisecond))
		return nil
	}

	store, err := openWriter(ctx, cfg.db, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer store.Close()
	// Requests without the jurisdiction that a catalog of several needs, or with one it
	// lacks, would match no query, so either is an error of the command line.
	var jurisdictionErr error
	if cfg.jurisdiction != "" {
		jurisdictionErr = checkJurisdiction(ctx, store, cfg.jurisdiction, env.stderr, "open311 seed")
	} else {
		jurisdictionErr = requireJurisdiction(ctx, store)
	}
	if usage := (*commandLineError)(nil); errors.As(jurisdictionErr, &usage) {
		fmt.Fprintln(env.stderr, "open311 seed:", jurisdictionErr)
		return exitError{2}
	}
	if jurisdictionErr != nil {
		return jurisdictionErr
	}

	replaced, err := seedStore(ctx, env, store, generator, cfg)
	if err != nil {
		return err
	}
	elapsed := time.Since(started)
	fmt.Fprintf(env.stdout, "%s: seeded %s%s (%s, %.0f requests/s)\n", cfg.db, plural(cfg.count, "request"),
		replacedClause(replaced, cfg.count), elapsed.Round(time.Millisecond), float64(cfg.count)/elapsed.Seconds())
	stored := reportStored(ctx, env, store, cfg.db)
	suggestCluster(env, cfg.db, cfg.count-replaced, stored)
	return nil
}

// checkSeedPaths returns an error when the store or file that seed writes cannot be created:
// a -db that checkStorePath rejects, a -json that is a folder or a file that exists, or a
// -json or -cpuprofile in a folder that does not exist. A -json stream such as /dev/stdout
// passes.
func checkSeedPaths(cfg seedConfig) error {
	if cfg.cpuProfile != "" {
		if err := checkParentFolder("-cpuprofile", cfg.cpuProfile); err != nil {
			return err
		}
	}
	if cfg.jsonFile == "" {
		return checkStorePath(cfg.db)
	}
	if isStream(cfg.jsonFile) {
		return nil
	}
	if info, err := os.Stat(cfg.jsonFile); err == nil {
		if info.IsDir() {
			return fmt.Errorf("-json %s is a folder; name a new file in it, such as %s", cfg.jsonFile, filepath.Join(cfg.jsonFile, "requests.json"))
		}
		return fmt.Errorf("-json %s: the file exists, and seed writes only new files; remove it or choose another path", cfg.jsonFile)
	}
	return checkParentFolder("-json", cfg.jsonFile)
}

// maxSeedBatch bounds -batch. seed holds three batches of decoded requests, at an estimated
// 2 kB each, so batches of 100,000 take about 600 MB.
const maxSeedBatch = 100_000

// seedStore imports cfg.count generated requests in batches of cfg.batch and returns how
// many replaced a stored request, as a seed run again with the same -seed does. One goroutine
// generates the next batch while the store writes the last one, so generation costs little
// wall time.
func seedStore(ctx context.Context, env environment, store georeport.Store, generator *seed.Generator, cfg seedConfig) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Three buffers: one being generated, one waiting, one being written.
	free := make(chan []georeport.Request, 3)
	for range cap(free) {
		free <- make([]georeport.Request, cfg.batch)
	}
	batches := make(chan []georeport.Request, 1)
	go func() {
		defer close(batches)
		for left := cfg.count; left > 0; {
			var batch []georeport.Request
			select {
			case batch = <-free:
			case <-ctx.Done():
				return
			}
			batch = batch[:min(left, cap(batch))]
			generator.Fill(batch)
			left -= len(batch)
			select {
			case batches <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()

	progress := newProgress(env.stderr, cfg.db, int64(cfg.count))
	defer progress.clear()
	written, replaced := 0, 0
	for batch := range batches {
		n, err := store.ImportRequests(ctx, batch)
		if err != nil {
			return replaced, fmt.Errorf("%s: write requests %d to %d: %w", cfg.db, written+1, written+len(batch), err)
		}
		written += len(batch)
		replaced += n
		progress.update(int64(written), written)
		free <- batch[:cap(batch)]
	}
	if err := ctx.Err(); err != nil {
		return replaced, fmt.Errorf("stopped after %s: %w", plural(written, "request"), err)
	}
	return replaced, nil
}

// writeSeedJSON writes count generated requests to a new file at path. It rejects a regular
// file that exists, which may be a data file of the user's, and removes its own file when the
// writing fails or is interrupted, so that no partial file is left for import to read. A
// path that exists and is not a regular file, such as /dev/stdout or a named pipe, is
// written as it is, and neither created nor removed.
func writeSeedJSON(ctx context.Context, path string, generator *seed.Generator, count int) error {
	f, created, err := openSeedJSON(path)
	if err != nil {
		return err
	}

	err = seed.WriteJSON(contextWriter{ctx, f}, generator, count)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		return nil
	}
	removed := ""
	if created {
		os.Remove(path)
		removed = "; the partly written file was removed"
	}
	if ctx.Err() != nil {
		return fmt.Errorf("-json %s: interrupted%s", path, removed)
	}
	return fmt.Errorf("-json %s: %w%s", path, err, removed)
}

// openSeedJSON opens the -json path for writing: a stream such as /dev/stdout as it is, else
// a new file, which created reports.
func openSeedJSON(path string) (f *os.File, created bool, err error) {
	if isStream(path) {
		f, err = os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, false, fmt.Errorf("-json: %w", err)
		}
		return f, false, nil
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return nil, false, fmt.Errorf("-json %s is a folder; name a new file in it, such as %s", path, filepath.Join(path, "requests.json"))
	}
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil, false, fmt.Errorf("-json %s: the file exists, and seed writes only new files; remove it or choose another path", path)
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("-json %s: the folder %s does not exist; create it or choose another path", path, filepath.Dir(path))
	case err != nil:
		return nil, false, fmt.Errorf("-json: %w", err)
	}
	return f, true, nil
}

// isStream reports whether path exists and is not a regular file or a folder, such as
// /dev/stdout or a named pipe.
func isStream(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.Mode().IsRegular() && !info.IsDir()
}

// contextWriter writes to w until ctx ends, so that an interrupt stops a long write at the
// next buffer that WriteJSON flushes.
type contextWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c contextWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// startCPUProfile starts writing a CPU profile to path and returns the function that stops it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// printFlagsExcept prints the defaults of the flags of fs other than hidden, which are for
// developers.
func printFlagsExcept(fs *flag.FlagSet, hidden ...string) {
	visible := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	visible.SetOutput(fs.Output())
	fs.VisitAll(func(f *flag.Flag) {
		for _, name := range hidden {
			if f.Name == name {
				return
			}
		}
		visible.Var(f.Value, f.Name, f.Usage)
		// Var takes the current value as the default, which is a value given earlier on the
		// same command line, as in seed -db x.db -h.
		visible.Lookup(f.Name).DefValue = f.DefValue
	})
	visible.PrintDefaults()
}

// flagGiven reports whether the command line set the flag name.
func flagGiven(flags *flag.FlagSet, name string) bool {
	set := false
	flags.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
