package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
)

// schemaVersion is the PRAGMA user_version of the schema that this package writes. Open
// brings an older database up to it and rejects a newer one.
const schemaVersion = 5

// migrations[i] brings a database from user_version i to i+1. Each step runs in one
// transaction with the version update, and uses IF NOT EXISTS so that a step that ran
// without its version update can run again.
var migrations = []string{
	// Version 1: requests with their spatial and word indexes, API keys and the catalog.
	//
	// Times are Unix seconds, NULL when absent. The columns media_urls, tasks and
	// attributes hold JSON arrays, NULL when empty. A request's hidden flag leads most list
	// indexes, because public lists are the common queries and always filter on it.
	// detailed_status_list is the detailed status list with its elements trimmed, between
	// commas (",IN_PROCESS,PUBLIC_WORKS_NEW,"), so that instr finds one whole element.
	// agency_folded is agency_responsible after Unicode case folding.
	`
CREATE TABLE IF NOT EXISTS requests (
	id                   INTEGER PRIMARY KEY,
	service_request_id   TEXT NOT NULL UNIQUE,
	jurisdiction         TEXT NOT NULL,
	token                TEXT UNIQUE,
	service_code         TEXT NOT NULL,
	service_name         TEXT NOT NULL,
	status               TEXT NOT NULL,
	status_notes         TEXT NOT NULL,
	description          TEXT NOT NULL,
	agency_responsible   TEXT NOT NULL,
	agency_folded        TEXT NOT NULL,
	service_notice       TEXT NOT NULL,
	requested_at         INTEGER,
	updated_at           INTEGER,
	expected_at          INTEGER,
	address              TEXT NOT NULL,
	address_id           TEXT NOT NULL,
	zipcode              TEXT NOT NULL,
	lat                  REAL,
	long                 REAL,
	media_url            TEXT NOT NULL,
	title                TEXT NOT NULL,
	detailed_status      TEXT NOT NULL,
	detailed_status_list TEXT NOT NULL,
	media_urls           TEXT,
	service_object_id    TEXT NOT NULL,
	service_object_type  TEXT NOT NULL,
	tasks                TEXT,
	attributes           TEXT,
	hidden               INTEGER NOT NULL,
	email                TEXT NOT NULL,
	first_name           TEXT NOT NULL,
	last_name            TEXT NOT NULL,
	phone                TEXT NOT NULL,
	device_id            TEXT NOT NULL,
	account_id           TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS requests_newest
	ON requests (hidden, requested_at DESC, service_request_id DESC);
CREATE INDEX IF NOT EXISTS requests_service
	ON requests (hidden, service_code, status, requested_at DESC, service_request_id DESC);
CREATE INDEX IF NOT EXISTS requests_updated
	ON requests (hidden, updated_at);
CREATE INDEX IF NOT EXISTS requests_jurisdiction
	ON requests (jurisdiction, hidden, requested_at DESC, service_request_id DESC);
CREATE INDEX IF NOT EXISTS requests_service_object
	ON requests (service_object_type, service_object_id);
CREATE INDEX IF NOT EXISTS requests_agency
	ON requests (agency_folded);

-- request_points holds the location and filing time of each request that has a location,
-- keyed by requests.id, so that a box with a date window is one search. The time is 0 when
-- the request has none. An R*Tree keeps 32-bit floats rounded outwards, so a search returns
-- a superset that the exact columns of requests then narrow.
CREATE VIRTUAL TABLE IF NOT EXISTS request_points
	USING rtree (id, min_long, max_long, min_lat, max_lat, min_requested, max_requested);

-- request_words holds the words of each request as georeport.SearchWords gives them,
-- joined by spaces, keyed by requests.id. Those words contain letters and digits only, and
-- the ascii tokenizer splits at ASCII characters other than letters and digits, so each
-- indexed token is exactly one search word.
` + createWordsSQL + `;

CREATE TABLE IF NOT EXISTS api_keys (
	name       TEXT PRIMARY KEY,
	role       TEXT NOT NULL,
	hash       TEXT NOT NULL UNIQUE,
	active     INTEGER NOT NULL,
	created_at INTEGER
);

CREATE TABLE IF NOT EXISTS catalog (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	data     BLOB NOT NULL,
	saved_at INTEGER NOT NULL
);
`,
	// Version 2: reservations of uploaded files whose requests are not stored yet.
	`
CREATE TABLE IF NOT EXISTS media_reservations (
	name        TEXT PRIMARY KEY,
	url         TEXT NOT NULL,
	reserved_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS media_reservations_by_time ON media_reservations (reserved_at);
`,
	// Version 3: a change number on each request, so that a server sees the writes of other
	// processes, such as an import, and updates its in-memory index with them. Each write
	// transaction takes the next numbers from request_changes.
	`
ALTER TABLE requests ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS requests_change_seq ON requests (change_seq);
CREATE TABLE IF NOT EXISTS request_changes (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
);
INSERT OR IGNORE INTO request_changes (id, seq) VALUES (1, 0);
`,
	// Version 4: lists, circles and boxes are answered from the in-memory index, so the
	// indexes that served them in SQL, and the R*Tree of locations, only slowed down writes.
	`
DROP INDEX IF EXISTS requests_newest;
DROP INDEX IF EXISTS requests_service;
DROP INDEX IF EXISTS requests_updated;
DROP INDEX IF EXISTS requests_jurisdiction;
DROP INDEX IF EXISTS requests_service_object;
DROP INDEX IF EXISTS requests_agency;
DROP TABLE IF EXISTS request_points;
`,
	// Version 5: a layout number, which Cluster increases when it renumbers the rows. A server
	// that has the file open then loads its index again instead of reading other requests
	// under the row ids in its index.
	`
ALTER TABLE request_changes ADD COLUMN layout INTEGER NOT NULL DEFAULT 0;
`,
}

// createWordsSQL creates request_words, which migrations[0] describes. Cluster creates it
// again.
const createWordsSQL = `CREATE VIRTUAL TABLE IF NOT EXISTS request_words
	USING fts5 (words, content='', contentless_delete=1, tokenize='ascii', detail=none)`

// migrate brings the database behind db up to schemaVersion. It returns an error when the
// database has a newer version, which an older server must not write.
func migrate(ctx context.Context, db *sql.DB) (from int, err error) {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if version > schemaVersion {
		return version, fmt.Errorf("database schema version %d is newer than version %d of this server; upgrade the server", version, schemaVersion)
	}

	for v := version; v < schemaVersion; v++ {
		if err := migrateStep(ctx, db, v); err != nil {
			return version, err
		}
	}
	return version, nil
}

// migrateStep runs migrations[from] and sets user_version to from+1 in one transaction. The
// writer begins its transactions IMMEDIATE, so two processes that open a new file at once
// take turns, and the second one finds the version already set.
func migrateStep(ctx context.Context, db *sql.DB, from int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin schema version %d: %w", from+1, err)
	}
	defer tx.Rollback()

	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current != from {
		// Another process migrated the file in the meantime.
		return nil
	}

	if _, err := tx.ExecContext(ctx, migrations[from]); err != nil {
		return fmt.Errorf("create schema version %d: %w", from+1, err)
	}
	// PRAGMA takes no bound parameters, so the version is formatted into the text.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", from+1)); err != nil {
		return fmt.Errorf("set schema version %d: %w", from+1, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit schema version %d: %w", from+1, err)
	}
	return nil
}

// SchemaVersion is the schema version that this package writes.
const SchemaVersion = schemaVersion

// InspectFile reads the schema version of the SQLite database at path, and whether it has
// the tables and columns of a store of this package, without changing the file. It returns
// an error when the file cannot be opened or is not a SQLite database.
func InspectFile(ctx context.Context, path string) (version int, isStore bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, false, err
	}
	name := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro"}).String()
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return 0, false, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, false, err
	}
	// Every schema version has these tables, and requests has these columns.
	var found int
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('requests', 'api_keys', 'catalog')) +
		(SELECT count(*) FROM pragma_table_info('requests') WHERE name IN ('service_request_id', 'token', 'detailed_status_list', 'hidden'))`).Scan(&found)
	if err != nil {
		return 0, false, err
	}
	return version, version >= 1 && found == 7, nil
}
