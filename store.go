package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/mongo"
	"github.com/open311-to-go/open311/sqlite"
)

// openStore opens the store that -db names, for a server: a mongodb:// or mongodb+srv://
// URI, or else a SQLite file path or :memory:.
func openStore(ctx context.Context, db string, logger *slog.Logger) (georeport.Store, error) {
	return openStoreWith(ctx, db, logger, sqlite.Options{})
}

// openWriter opens the store that -db names for a command that writes and lists nothing,
// such as an import, without the SQLite store's in-memory index of lists.
func openWriter(ctx context.Context, db string, logger *slog.Logger) (georeport.Store, error) {
	return openStoreWith(ctx, db, logger, sqlite.Options{NoListIndex: true, WriterCacheKiB: 32 << 10})
}

// isMongoURI reports whether -db names a MongoDB deployment rather than a SQLite file.
func isMongoURI(db string) bool {
	return strings.HasPrefix(db, "mongodb://") || strings.HasPrefix(db, "mongodb+srv://")
}

// isSQLiteFile reports whether -db names a SQLite file, not a MongoDB deployment or an
// in-memory store.
func isSQLiteFile(db string) bool {
	return db != ":memory:" && !isMongoURI(db)
}

func openStoreWith(ctx context.Context, db string, logger *slog.Logger, options sqlite.Options) (georeport.Store, error) {
	if isMongoURI(db) {
		store, err := mongo.Open(ctx, db, logger)
		// The mongo store reports a connection string that the driver rejects as invalid,
		// before it sends anything.
		if georeport.KindOf(err) == georeport.Invalid {
			return nil, invalidf("-db %s is not a valid MongoDB connection string (%v); use mongodb://HOST/DATABASE or mongodb+srv://HOST/DATABASE with the driver's options", redactURI(db), err)
		}
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", redactURI(db), err)
		}
		return store, nil
	}
	store, err := sqlite.OpenWith(ctx, db, logger, options)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", db, err)
	}
	return store, nil
}

// redactURI returns a database URI without its password, for logs and messages.
func redactURI(db string) string {
	u, err := url.Parse(db)
	if err != nil {
		// A URI that does not parse may still contain a user and password, before the last
		// @ ahead of the path.
		scheme, rest, found := strings.Cut(db, "://")
		hosts, _, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(hosts, "@"); found && at >= 0 {
			return scheme + "://xxxxx" + rest[at:]
		}
		return db
	}
	if u.User == nil {
		return db
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// checkStorePath returns an error when db is empty, or names a SQLite file that the store
// cannot open or create: a folder, a file in a folder that does not exist, or a file that
// checkStoreFile rejects.
func checkStorePath(db string) error {
	if db == "" {
		return errors.New("-db is empty; give a SQLite file path, :memory:, or a mongodb:// or mongodb+srv:// URI")
	}
	if !isSQLiteFile(db) {
		return nil
	}
	if info, err := os.Stat(db); err == nil && info.IsDir() {
		return fmt.Errorf("-db %s is a folder; give the path of a SQLite file, such as %s", db, filepath.Join(db, "open311.db"))
	}
	if err := checkParentFolder("-db", db); err != nil {
		return err
	}
	return checkStoreFile(db)
}

// checkStoreFile returns an error when db names an existing file that SQLite cannot read as
// a database, or a store of a newer schema than this build opens.
// NOTE: A SQLite database of another program passes, and opening it adds the store's
// tables to it. cluster rejects such a file.
func checkStoreFile(db string) error {
	if !isSQLiteFile(db) {
		return nil
	}
	if info, err := os.Stat(db); err != nil || !info.Mode().IsRegular() {
		return nil
	}
	version, _, err := sqlite.InspectFile(context.Background(), db)
	if err != nil {
		return fmt.Errorf("-db %s is not a SQLite database that can be read (%v); give the file of a store", db, err)
	}
	if version > sqlite.SchemaVersion {
		return fmt.Errorf("-db %s has schema version %d, newer than version %d of this build; use the open311 build that wrote it", db, version, sqlite.SchemaVersion)
	}
	return nil
}

// checkParentFolder returns an error that names flagName when the folder of path does not
// exist, so that a file cannot be created at path.
func checkParentFolder(flagName, path string) error {
	folder := filepath.Dir(path)
	info, err := os.Stat(folder)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: the folder %s does not exist; create it or choose another path", flagName, path, folder)
	case err == nil && !info.IsDir():
		return fmt.Errorf("%s %s: %s is a file, not a folder; choose another path", flagName, path, folder)
	}
	return nil
}

// requireExistingStore returns an error when db names a SQLite file that does not exist.
func requireExistingStore(db string) error {
	if !isSQLiteFile(db) {
		return nil
	}
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no store at %s; check -db (the server creates the store when it first starts)", db)
	}
	return checkStoreFile(db)
}

// sqliteHeader is the string that the SQLite file format puts at the start of every database
// file that is not empty.
const sqliteHeader = "SQLite format 3\x00"

// checkSQLitePath returns an error when db names a SQLite file that cannot be a store: a
// path in a folder that does not exist, a folder, or a file that is not a SQLite database.
// A path that does not exist yet, and an empty file, become a new store.
func checkSQLitePath(db string) error {
	if !isSQLiteFile(db) {
		return nil
	}
	if dir := filepath.Dir(db); !isDir(dir) {
		return fmt.Errorf("-db %s: the folder %s does not exist; create it or choose another path", db, dir)
	}

	// Any failure to read the file is left to the opening of the store, which reports it
	// with its cause.
	info, err := os.Stat(db)
	switch {
	case err != nil:
		return nil
	case info.IsDir():
		return fmt.Errorf("-db %s is a folder; give the path of a SQLite file, such as %s", db, filepath.Join(db, "open311.db"))
	case info.Size() == 0:
		return nil
	}

	f, err := os.Open(db)
	if err != nil {
		return nil
	}
	defer f.Close()
	header := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, header); err != nil && err != io.ErrUnexpectedEOF {
		return nil
	}
	if string(header) != sqliteHeader {
		return fmt.Errorf("-db %s is not a SQLite database; give the path of a store, or a path that does not exist yet for a new store", db)
	}
	return nil
}

// isDir reports whether path is a folder.
func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
