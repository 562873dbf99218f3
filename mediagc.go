package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/media"
)

// defaultMediaGrace is how long an upload may wait for its request before the cleanup
// treats it as orphaned. A POST stores its request seconds after its files, so an hour
// leaves a wide margin.
const defaultMediaGrace = time.Hour

// collectMedia deletes files that POSTs stored but whose requests were never stored, which
// happens only when the server stopped in between. It looks at reservations older than
// grace, keeps every file that a stored request lists, and releases the reservations it has
// settled. It returns how many files it deleted and kept.
func collectMedia(ctx context.Context, store georeport.Store, files media.Store, grace time.Duration, now time.Time,
	logger *slog.Logger) (deleted, kept int, err error) {
	const batch = 100
	failed := map[string]bool{}
	for {
		stale, err := store.StaleMedia(ctx, now.Add(-grace), batch+len(failed))
		if err != nil {
			return deleted, kept, fmt.Errorf("list stale media reservations: %w", err)
		}
		var pending []georeport.MediaReservation
		for _, m := range stale {
			if !failed[m.Name] {
				pending = append(pending, m)
			}
		}
		if len(pending) == 0 {
			return deleted, kept, nil
		}

		urls := make([]string, len(pending))
		for i, m := range pending {
			urls[i] = m.URL
		}
		inUse, err := store.MediaInUse(ctx, urls)
		if err != nil {
			return deleted, kept, fmt.Errorf("look up media in use: %w", err)
		}
		var settled []string
		for _, m := range pending {
			if inUse[m.URL] {
				kept++
				settled = append(settled, m.Name)
				continue
			}
			if err := files.Delete(ctx, m.Name); err != nil {
				logger.Error("delete an orphaned upload", "media", m.Name, "err", err)
				failed[m.Name] = true
				continue
			}
			logger.Info("deleted an orphaned upload", "media", m.Name, "reserved", m.Reserved)
			deleted++
			settled = append(settled, m.Name)
		}
		if err := store.ReleaseMedia(ctx, settled); err != nil {
			return deleted, kept, fmt.Errorf("release media reservations: %w", err)
		}
	}
}

// mediaCommand runs open311 media gc.
func mediaCommand(ctx context.Context, env environment, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		args = []string{"gc", "-h"}
	}
	if len(args) == 0 || args[0] != "gc" {
		fmt.Fprint(env.stderr, "open311 media: the only command is gc; open311 media gc -h lists its flags\n")
		return exitError{2}
	}
	fs := flag.NewFlagSet("open311 media gc", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: open311 media gc [flags]\n\n"+
			"Deletes the uploads that no stored request names and that are older than -grace, such as\n"+
			"photos of a POST that a crash stopped before its request was stored.\n\n")
		fs.PrintDefaults()
	}
	db := fs.String("db", "open311.db", "store: a SQLite file `path`, or a mongodb:// or mongodb+srv:// URI")
	spec := fs.String("media", "file:./media", "media `store` that the server uses")
	grace := duration(defaultMediaGrace)
	fs.Var(&grace, "grace", "age, a `duration`, after which an upload without a request counts as orphaned")
	if err := env.parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "open311 media gc: unexpected argument %q; flags come before arguments\n", fs.Arg(0))
		return exitError{2}
	}
	if grace < 0 {
		fmt.Fprintf(env.stderr, "open311 media gc: -grace %s is not valid; use 0 or a positive duration such as 1h\n", time.Duration(grace))
		return exitError{2}
	}
	if err := requireExistingStore(*db); err != nil {
		fmt.Fprintf(env.stderr, "open311 media gc: %v\n", err)
		return exitError{2}
	}
	if err := checkCollectedMedia(*spec, env.getenv); err != nil {
		fmt.Fprintf(env.stderr, "open311 media gc: %v\n", err)
		return exitError{2}
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	store, err := openWriter(ctx, *db, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	// Deleting needs no public URL, so any base URL does.
	files, err := media.Open(ctx, *spec, "http://localhost", env.getenv)
	if err != nil {
		return fmt.Errorf("-media: %w", err)
	}
	deleted, kept, err := collectMedia(ctx, store, files, time.Duration(grace), time.Now(), logger)
	fmt.Fprintf(env.stdout, "deleted %s, kept %s that a request lists\n", plural(deleted, "orphaned file"), plural(kept, "file"))
	return err
}

// checkCollectedMedia returns an error when the -media of media gc is invalid or names a
// folder that does not exist. A missing folder is most likely a typo, and the cleanup would
// create it and then release the reservations of the orphans in the real folder without
// deleting them.
func checkCollectedMedia(spec string, getenv func(string) string) error {
	if err := media.CheckSpec(spec, getenv); err != nil {
		return fmt.Errorf("-media: %w", err)
	}
	kind, folder, _ := strings.Cut(spec, ":")
	if !strings.EqualFold(kind, "file") {
		return nil
	}
	info, err := os.Stat(folder)
	if errors.Is(err, os.ErrNotExist) || err == nil && !info.IsDir() {
		return fmt.Errorf("-media %s: no folder at %s; give the -media of the server", spec, folder)
	}
	return nil
}
