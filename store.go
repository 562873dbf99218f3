package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
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
	if err != nil || u.User == nil {
		return db
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// requireExistingStore returns an error when db names a SQLite file that does not exist.
func requireExistingStore(db string) error {
	if !isSQLiteFile(db) {
		return nil
	}
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no store at %s; check -db (the server creates the store when it first starts)", db)
	}
	return nil
}
