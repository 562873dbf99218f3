// The checks of open311 import's command line: flag values, files, and the jurisdiction that
// the store's saved catalog requires.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/importer"
	"golang.org/x/text/language"
)

// openImportStore opens the store of -db for an import and names the store when it created
// it. When the saved catalog needs -jurisdiction, it prints why and returns exitError 2.
func openImportStore(ctx context.Context, env environment, cfg importConfig) (georeport.Store, error) {
	// Importing into a new store is how a store for a new city starts, but a new store may
	// also be a typo in -db, so the command names it.
	newStore := requireExistingStore(cfg.db) != nil
	store, err := openWriter(ctx, cfg.db, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, err
	}
	if newStore {
		fmt.Fprintf(env.stderr, "Created a new store at %s (check -db if you meant an existing one).\n", cfg.db)
	}
	if cfg.jurisdiction != "" {
		return store, nil
	}

	err = requireJurisdiction(ctx, store)
	var usage *commandLineError
	if errors.As(err, &usage) {
		fmt.Fprintln(env.stderr, "open311 import:", err)
		err = exitError{2}
	}
	if err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// commandLineError is an invalid flag value that a command finds only once the store is
// open, such as a -jurisdiction that the saved catalog lacks. import exits with status 2 for
// it, as seed does and as for other errors of the command line.
type commandLineError struct{ err error }

func (e *commandLineError) Error() string { return e.err.Error() }

func (e *commandLineError) Unwrap() error { return e.err }

// requireJurisdiction returns a *commandLineError when the store's saved catalog has several
// jurisdictions, for an import or seed without -jurisdiction. Requests without a jurisdiction would
// match no jurisdiction_id of a query, and a service list would have no jurisdiction to
// merge into.
func requireJurisdiction(ctx context.Context, store georeport.Store) error {
	data, err := store.Catalog(ctx)
	switch {
	case georeport.KindOf(err) == georeport.NotFound:
		return nil
	case err != nil:
		return fmt.Errorf("read the saved catalog: %w", err)
	}
	catalog, err := georeport.ParseCatalog("saved catalog", data)
	if err != nil {
		return err
	}
	if n := len(catalog.Jurisdictions); n > 1 {
		return &commandLineError{fmt.Errorf("the saved catalog has %d jurisdictions (%s), so -jurisdiction is required; give the one that the requests belong to, such as -jurisdiction %s",
			n, catalog.JurisdictionIDs(), catalog.Jurisdictions[0].ID)}
	}
	return nil
}

// checkImportFlags returns the time zone of -tz, or an error that names the first flag of
// cfg with an invalid value and the values accepted. It sets cfg.lang to the language code
// of -locale.
func checkImportFlags(cfg *importConfig) (*time.Location, error) {
	if cfg.lang != "" {
		lang, ok := languageCode(cfg.lang)
		if !ok {
			return nil, fmt.Errorf("-locale %q is not a known language; use a language code such as fi, sv or en", cfg.lang)
		}
		cfg.lang = lang
	}
	if _, err := importer.ParseCharset(cfg.charset); err != nil {
		return nil, fmt.Errorf("-charset %q is not supported; use %s, or %s (ISO 8859-1) for files that fail as UTF-8",
			cfg.charset, importer.UTF8, importer.Latin1)
	}
	loc, err := time.LoadLocation(cfg.tz)
	if err != nil {
		return nil, fmt.Errorf("-tz %q is not an IANA time zone such as Europe/Helsinki: %w", cfg.tz, err)
	}
	if err := checkSQLitePath(cfg.db); err != nil {
		return nil, err
	}
	return loc, nil
}

// languageCode returns the ISO 639 code of the language of a BCP 47 language tag, such as
// fi for fi, fi_FI or fin. It returns false when the tag is not well-formed or names no known
// language. The catalog lists its languages by these codes, and discovery advertises them.
func languageCode(tag string) (string, bool) {
	parsed, err := language.Parse(tag)
	if err != nil {
		return "", false
	}
	base, confidence := parsed.Base()
	code := base.String()
	// Parse also accepts und (undetermined), private use tags such as x-city, and the codes
	// of ISO 639 that name no language: mis (uncoded), mul (multiple), zxx (no linguistic
	// content) and the private use range qaa to qtz.
	special := code == "mis" || code == "mul" || code == "zxx" || len(code) == 3 && code >= "qaa" && code <= "qtz"
	if confidence != language.Exact || special {
		return "", false
	}
	return code, true
}

// checkImportFiles returns an error that names the first path that cannot be imported: one
// that cannot be opened, or a folder. Streams such as /dev/stdin pass.
func checkImportFiles(paths []string) error {
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("%v; check the file name", err)
		}
		info, err := f.Stat()
		f.Close()
		if err != nil {
			return fmt.Errorf("%v; check the file name", err)
		}
		if info.IsDir() {
			return fmt.Errorf("%s is a folder, not a file; name the files to import, such as %s",
				path, filepath.Join(path, "*.json"))
		}
	}
	return nil
}
