package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/sqlite"
)

// clusterCommand runs open311 cluster: it rewrites a SQLite store's requests in the order of
// their places, so that the requests of a circle or a box share the file's pages.
func clusterCommand(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("open311 cluster", flag.ContinueOnError)
	db := fs.String("db", "open311.db", "SQLite file `path` of the store")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: open311 cluster [flags]\n\n"+
			"Rewrites the requests of a SQLite store in the order of their places, so that the\n"+
			"requests near a place lie together in the file and circle and box lists read fewer\n"+
			"pages of it. Run it after a large import or seed. It needs free space of about twice\n"+
			"the file. While it runs, which takes one to two minutes at 1,000,000 requests, it\n"+
			"holds the store's write lock: a server on the same file goes on serving reads, but\n"+
			"its POSTs fail with 503 after 5 seconds.\n\n")
		fs.PrintDefaults()
	}
	if err := env.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "open311 cluster: unexpected argument %q; flags come before arguments\n", fs.Arg(0))
		return exitError{2}
	}
	if err := checkClusterTarget(ctx, env, *db); err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := sqlite.OpenWith(ctx, *db, logger, sqlite.Options{NoListIndex: true})
	if err != nil {
		return fmt.Errorf("open store %s: %w", *db, err)
	}
	defer store.Close()
	started := time.Now()
	result, err := store.Cluster(ctx, func(step string) {
		// The time is when the step starts, counted from the start of the run.
		fmt.Fprintf(env.stderr, "open311 cluster: at %s: %s\n", time.Since(started).Round(100*time.Millisecond), step)
	})
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintf(env.stderr, "open311 cluster: stopped before the end; the store is unchanged\n")
		return exitError{1}
	case georeport.KindOf(err) == georeport.Unavailable:
		fmt.Fprintf(env.stderr, "open311 cluster: the store stayed locked by another writer, such as an import or another cluster run; run cluster again when it has ended (%v)\n", err)
		return exitError{1}
	case err != nil:
		return err
	}
	if result.WALError != nil {
		size := "large"
		if info, err := os.Stat(*db + "-wal"); err == nil {
			size = formatBytes(uint64(info.Size()))
		}
		fmt.Fprintf(env.stderr, "open311 cluster: the store is clustered, but its WAL (%s) stays %s, because %v; it shrinks at a checkpoint that finds no readers, such as at the next cluster run or when the server on the file restarts\n",
			*db+"-wal", size, result.WALError)
	}
	// The rest of the total is mostly the commit and the checkpoint that moves the new table
	// from the WAL into the file.
	rest := result.Total - result.Copy - result.Words
	fmt.Fprintf(env.stdout, "%s: clustered %s by place (rows %s, full-text index %s, commit and checkpoint %s, total %s)\n", *db,
		plural(result.Requests, "request"), result.Copy.Round(time.Millisecond), result.Words.Round(time.Millisecond),
		rest.Round(time.Millisecond), result.Total.Round(time.Millisecond))
	return nil
}

// checkClusterTarget prints why db cannot be clustered and returns exitError 2: an empty or
// non-SQLite -db, a missing file or too little room (checkClusterFile), a file that is not
// a store, or a store of a newer schema. It prints that an older schema will be upgraded.
func checkClusterTarget(ctx context.Context, env environment, db string) error {
	if db == "" {
		fmt.Fprintf(env.stderr, "open311 cluster: -db is empty; give the file of a store\n")
		return exitError{2}
	}
	if !isSQLiteFile(db) {
		fmt.Fprintf(env.stderr, "open311 cluster: -db %s is not a SQLite file; cluster rewrites the file of the embedded store\n", redactURI(db))
		return exitError{2}
	}
	if err := checkClusterFile(db); err != nil {
		fmt.Fprintf(env.stderr, "open311 cluster: %v\n", err)
		return exitError{2}
	}

	version, isStore, err := sqlite.InspectFile(ctx, db)
	if err != nil {
		fmt.Fprintf(env.stderr, "open311 cluster: -db %s is not a SQLite database that can be read: %v\n", db, err)
		return exitError{2}
	}
	if !isStore {
		fmt.Fprintf(env.stderr, "open311 cluster: -db %s is not a store of open311: it lacks the schema version, tables or columns of one; give a file that open311 serve, import or seed made\n", db)
		return exitError{2}
	}
	if version > sqlite.SchemaVersion {
		fmt.Fprintf(env.stderr, "open311 cluster: -db %s has schema version %d, newer than version %d of this build; use the open311 build that wrote it\n",
			db, version, sqlite.SchemaVersion)
		return exitError{2}
	}
	if version < sqlite.SchemaVersion {
		fmt.Fprintf(env.stderr, "open311 cluster: upgrading the store's schema from version %d to %d; open311 builds older than this one cannot open it afterwards\n",
			version, sqlite.SchemaVersion)
	}
	return nil
}

// checkClusterFile returns an error when path is not an existing file, or when its file
// system lacks the room that a rewrite takes. A sorted copy of the table goes to SQLite's
// temporary folder and the new table to the WAL, about twice the file's size in all.
// NOTE: The check assumes that the temporary folder is on the file system of path.
func checkClusterFile(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("-db %s does not exist; give the file of a store", path)
	}
	if err != nil {
		return fmt.Errorf("-db %s: %w", path, err)
	}
	if info.IsDir() {
		return fmt.Errorf("-db %s is a folder; give the file of a store", path)
	}
	free, ok := diskFree(filepath.Dir(path))
	if !ok {
		return nil
	}
	need := 2 * uint64(info.Size())
	if need > free {
		return fmt.Errorf("rewriting -db %s needs about %s, twice its size, but its file system has %s free",
			path, formatBytes(need), formatBytes(free))
	}
	return nil
}
