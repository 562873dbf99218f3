package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/open311-to-go/open311/georeport"
)

// ClusterResult is the count and the timings of a Cluster run.
type ClusterResult struct {
	Requests int           // rows written in their new order
	Copy     time.Duration // copying the rows in place order
	Words    time.Duration // writing the search words again
	Total    time.Duration
	// WALError is the error of truncating the WAL after the commit, nil when the WAL, which
	// took the whole table, was truncated.
	WALError error
}

// Cluster rewrites the requests table so that requests whose places lie near each other lie
// next to each other in the file, as PostgreSQL's CLUSTER does for a table. SQLite stores a
// table's rows in row id order, which is filing order, so the 100 requests of a circle page
// lie anywhere in a large file and each costs a read of its own. After Cluster they share
// pages: at 1,000,000 requests a circle page read the file 70 times instead of 145.
//
// Rows get new row ids from 1, in the order of their grid cells along a Z-order curve and
// then by filing time. Requests without a place come last. The search words are written
// again under the new row ids. A server that has the file open finds the layout number
// changed at its next refresh and loads its index again. Until then it reads the rows that
// moved by their service_request_ids.
//
// Cluster runs in one write transaction, so other writers wait for it, and either the whole
// table is rewritten or none of it. It needs free space of about twice the table's size: for
// a sorted copy in SQLite's temporary folder (SQLITE_TMPDIR or TMPDIR, else /var/tmp or
// /tmp), and for the WAL. The file itself does not grow, because the new table takes the old
// one's pages. At 1,000,000 requests (1.9 GB) it took 63 s.
//
// Cluster returns an error of the kind Unavailable when the database is locked past the busy
// timeout or cannot be written, and Internal otherwise.
func (s *Store) Cluster(ctx context.Context, progress func(step string)) (ClusterResult, error) {
	const op = "sqlite: cluster"
	if progress == nil {
		progress = func(string) {}
	}
	var result ClusterResult
	start := time.Now()

	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return result, translate(op, fmt.Errorf("take the writer: %w", err))
	}
	defer conn.Close()
	// The unique indexes of the new table get their keys in random order, so a page cache of
	// 32 MiB keeps more of the pages that those inserts touch. At 1,000,000 requests it took
	// 63 s and a peak RSS of 179 MB; 256 MiB took 69 s and 1.08 GB, because SQLite's sorter
	// also sizes its memory by the page cache.
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -32768"); err != nil {
		return result, translate(op, fmt.Errorf("set the page cache: %w", err))
	}
	defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = %d", -cacheKiB(s.options.WriterCacheKiB)))

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return result, translate(op, fmt.Errorf("begin: %w", err))
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// A run that failed or was interrupted may have spilled pages of its transaction to
		// the WAL, which the rollback, deferred after this, leaves at that size.
		if err := s.truncateWAL(context.Background(), conn, walWait/3); err != nil {
			s.logger.Warn("truncating the WAL after a failed cluster run failed", "path", s.path, "err", err)
		}
	}()
	defer tx.Rollback()

	var create string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'requests'`).Scan(&create); err != nil {
		return result, translate(op, fmt.Errorf("read the table definition: %w", err))
	}
	const prefix = "CREATE TABLE requests ("
	if !strings.HasPrefix(create, prefix) {
		return result, newError(georeport.Internal, op, "the requests table has an unexpected definition %.40q", create)
	}
	columns, err := copiedColumns(ctx, tx)
	if err != nil {
		return result, translate(op, err)
	}
	seq, err := nextChanges(ctx, tx, 1)
	if err != nil {
		return result, translate(op, err)
	}

	// The rows go to a temporary table in their new order first, so that the new table can
	// take the pages of the old one, and the file does not grow by the table's size.
	progress("sorting the requests by place")
	copyStart := time.Now()
	list := strings.Join(columns, ", ")
	statements := []string{
		`DROP TABLE IF EXISTS temp.requests_by_place`,
		`CREATE TEMP TABLE requests_by_place AS SELECT ` + list + ` FROM requests
			ORDER BY open311_place_order(lat, long), requested_at, id`,
		`DROP TABLE requests`,
		create,
		`CREATE INDEX requests_change_seq ON requests (change_seq)`,
	}
	for _, stmt := range statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return result, translate(op, fmt.Errorf("sort the requests: %w", err))
		}
	}
	progress("writing the requests in their new order")
	copied, err := tx.ExecContext(ctx, `INSERT INTO requests (`+list+`, change_seq)
		SELECT `+list+`, ? FROM temp.requests_by_place ORDER BY rowid`, seq)
	if err != nil {
		return result, translate(op, fmt.Errorf("write the requests: %w", err))
	}
	n, err := copied.RowsAffected()
	if err != nil {
		return result, translate(op, fmt.Errorf("write the requests: %w", err))
	}
	result.Requests = int(n)
	if _, err := tx.ExecContext(ctx, `DROP TABLE temp.requests_by_place`); err != nil {
		return result, translate(op, fmt.Errorf("drop the sorted copy: %w", err))
	}
	result.Copy = time.Since(copyStart)

	progress("writing the full-text index under the new row ids")
	wordsStart := time.Now()
	statements = []string{
		`DROP TABLE request_words`,
		createWordsSQL,
		`INSERT INTO request_words (rowid, words)
			SELECT id, words FROM (SELECT id, open311_search_text(title, description, address, agency_responsible) AS words FROM requests)
			WHERE words <> ''`,
		// The new table has FTS5's default options.
		setAutomergeSQL + strconv.Itoa(wordsAutomerge) + ")",
		`UPDATE request_changes SET layout = layout + 1 WHERE id = 1`,
	}
	for _, stmt := range statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return result, translate(op, fmt.Errorf("write the search words: %w", err))
		}
	}
	result.Words = time.Since(wordsStart)

	progress("committing")
	if err := tx.Commit(); err != nil {
		return result, translate(op, fmt.Errorf("commit: %w", err))
	}
	committed = true
	// The transaction wrote the whole table to the WAL, and a checkpoint now moves it into
	// the file and truncates the WAL. It cannot finish while a reader uses the WAL, such as
	// a server that loads its index again after this run, so it is tried for a while.
	progress("moving the new table from the WAL into the file")
	result.WALError = s.truncateWAL(ctx, conn, walWait)
	if s.current().index != nil {
		if err := s.refresh(ctx); err != nil {
			return result, translate(op, fmt.Errorf("load the request index: %w", err))
		}
	}
	result.Total = time.Since(start)
	return result, nil
}

// walWait is how long Cluster tries to truncate the WAL while readers use it: longer than a
// server takes to load the index of 1,000,000 requests again (12 to 15 s).
const walWait = 30 * time.Second

// truncateWAL runs checkpoints in TRUNCATE mode until one finishes or wait has passed.
func (s *Store) truncateWAL(ctx context.Context, conn *sql.Conn, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		var busy, frames, moved int
		err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &moved)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("readers kept the WAL in use for %s", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// copiedColumns returns the names of the columns of requests other than id and change_seq.
func copiedColumns(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info('requests') ORDER BY cid`)
	if err != nil {
		return nil, fmt.Errorf("read the columns: %w", err)
	}
	defer rows.Close()
	var columns []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read the columns: %w", err)
		}
		if name != "id" && name != "change_seq" {
			columns = append(columns, name)
		}
	}
	return columns, rows.Err()
}

// placeOrder is the SQL function open311_place_order(lat, long): the position along a
// Z-order curve of the grid cell of memIndex that contains the place. The curve interleaves
// the bits of the cell's row and column, so cells near each other mostly get numbers near
// each other. A request without a place gets the largest number.
func placeOrder(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	lat, ok1 := args[0].(float64)
	long, ok2 := args[1].(float64)
	if !ok1 || !ok2 {
		return int64(math.MaxInt64), nil
	}
	key := cellOf(lat, long)
	// Cells run from about −45,000 to 45,000 on either axis, and the offset makes them
	// positive.
	return int64(spread(uint32(key.lat+1<<16))<<1 | spread(uint32(key.long+1<<16))), nil
}

// spread puts the bits of v at the even bit positions of the result.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// searchTextFunction is the SQL function open311_search_text(title, description, address,
// agency): the request_words text that searchText gives for a request with those fields.
func searchTextFunction(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	var parts [4]string
	for i, arg := range args {
		switch v := arg.(type) {
		case string:
			parts[i] = v
		case []byte:
			parts[i] = string(v)
		case nil:
		default:
			return nil, fmt.Errorf("open311_search_text: argument %d is %T, want text", i+1, arg)
		}
	}
	return searchText(&georeport.Request{Title: parts[0], Description: parts[1], Address: parts[2], AgencyResponsible: parts[3]}), nil
}
