package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/open311-to-go/open311/georeport"
)

// insertColumns are the columns that requestValues fills, and the change number.
const insertColumns = requestColumns + `, agency_folded, detailed_status_list, change_seq`

// insertRequestSQL inserts one request and returns its row id.
var insertRequestSQL = `INSERT INTO requests (` + insertColumns + `)
	VALUES (` + placeholders(strings.Count(insertColumns, ",")+1) + `)
	RETURNING id`

// upsertRequestSQL inserts a request or replaces the one with its service_request_id. A
// replaced request keeps its token, attributes, visibility and reporter data, which an
// import does not carry, and its row id, which request_points and request_words use.
var upsertRequestSQL = insertRequestSQL[:strings.LastIndex(insertRequestSQL, "RETURNING")] + `
	ON CONFLICT (service_request_id) DO UPDATE SET
		jurisdiction = excluded.jurisdiction,
		service_code = excluded.service_code,
		service_name = excluded.service_name,
		status = excluded.status,
		status_notes = excluded.status_notes,
		description = excluded.description,
		agency_responsible = excluded.agency_responsible,
		agency_folded = excluded.agency_folded,
		service_notice = excluded.service_notice,
		requested_at = excluded.requested_at,
		updated_at = excluded.updated_at,
		expected_at = excluded.expected_at,
		address = excluded.address,
		address_id = excluded.address_id,
		zipcode = excluded.zipcode,
		lat = excluded.lat,
		long = excluded.long,
		media_url = excluded.media_url,
		title = excluded.title,
		detailed_status = excluded.detailed_status,
		detailed_status_list = excluded.detailed_status_list,
		media_urls = excluded.media_urls,
		service_object_id = excluded.service_object_id,
		service_object_type = excluded.service_object_type,
		tasks = excluded.tasks,
		change_seq = excluded.change_seq
	RETURNING id, hidden`

const (
	deletePointSQL = `DELETE FROM request_points WHERE id = ?`
	insertPointSQL = `INSERT INTO request_points (id, min_long, max_long, min_lat, max_lat, min_requested, max_requested)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	deleteWordsSQL = `DELETE FROM request_words WHERE rowid = ?`
	insertWordsSQL = `INSERT INTO request_words (rowid, words) VALUES (?, ?)`
)

// placeholders returns n comma-separated question marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// CreateRequest stores a new request, its location and its search words, and returns once
// they are on disk. Requests that arrive together are written in one transaction, each in
// a savepoint of its own, so that one disk sync serves them all and a failing request
// leaves the others alone. Times are stored in whole seconds.
//
// CreateRequest returns an error of the kind Conflict when a request with the id or the
// token exists, Invalid when the id is empty, Unavailable when the database is locked past
// the busy timeout or cannot be written, or the store is closed, and Internal otherwise.
func (s *Store) CreateRequest(ctx context.Context, r *georeport.Request) error {
	const op = "sqlite: create request"

	if r.ID == "" {
		return newError(georeport.Invalid, op, "service_request_id is empty")
	}
	values, err := requestValues(r)
	if err != nil {
		return translate(op, fmt.Errorf("encode request %q: %w", r.ID, err))
	}

	p := &pendingCreate{ctx: ctx, request: r, values: values, done: make(chan error, 1)}
	select {
	case s.creates <- p:
	case <-s.closing:
		return newError(georeport.Unavailable, op, "the store is closed")
	case <-ctx.Done():
		return translate(op, ctx.Err())
	}
	select {
	case err := <-p.done:
		if err != nil {
			return translate(op, err)
		}
		return nil
	case <-s.commitDone:
		// The loop ended before it took the request, so nothing was written.
		return newError(georeport.Unavailable, op, "the store is closed")
	case <-ctx.Done():
		// NOTE: A request whose batch was already writing is stored although its caller
		// gets this error; the caller's client has usually gone by then.
		return translate(op, ctx.Err())
	}
}

// pendingCreate is a CreateRequest waiting for the commit loop.
type pendingCreate struct {
	ctx     context.Context
	request *georeport.Request
	values  []any
	done    chan error
}

// maxCommitBatch bounds the requests of one transaction, so that one slow batch does not
// hold up the next for long.
const maxCommitBatch = 256

// commitLoop writes the requests of CreateRequest until the store closes: it takes every
// request that is waiting, writes them in one transaction and reports to each caller.
func (s *Store) commitLoop() {
	defer close(s.commitDone)
	for {
		var first *pendingCreate
		select {
		case first = <-s.creates:
		case <-s.closing:
			return
		}
		batch := []*pendingCreate{first}
	drain:
		for len(batch) < maxCommitBatch {
			select {
			case p := <-s.creates:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch writes a batch in one transaction and sends each caller its result.
func (s *Store) commitBatch(batch []*pendingCreate) {
	ctx := context.Background()
	results := make([]error, len(batch))
	rowIDs := make([]int64, len(batch))
	fail := func(err error) {
		for _, p := range batch {
			p.done <- err
		}
	}

	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	defer tx.Rollback()
	seq, err := nextChanges(ctx, tx, len(batch))
	if err != nil {
		fail(err)
		return
	}

	for i, p := range batch {
		if err := p.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		results[i] = createInSavepoint(ctx, tx, s.insertRequest, p, seq+int64(i), &rowIDs[i])
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit %d requests: %w", len(batch), err))
		return
	}

	var entries []indexEntry
	for i, p := range batch {
		if results[i] == nil {
			entries = append(entries, entryOf(rowIDs[i], p.request))
		}
	}
	s.index.put(entries)
	for i, p := range batch {
		p.done <- results[i]
	}
}

// createInSavepoint inserts one request and its index rows inside a savepoint, and rolls
// back to it when any step fails, so that the transaction holds all of the request or none.
func createInSavepoint(ctx context.Context, tx *sql.Tx, insert *sql.Stmt, p *pendingCreate, seq int64, rowID *int64) error {
	r := p.request
	if _, err := tx.ExecContext(ctx, "SAVEPOINT create_request"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := tx.StmtContext(ctx, insert).QueryRowContext(ctx, append(p.values, seq)...).Scan(rowID)
	if err != nil {
		err = fmt.Errorf("insert request %q: %w", r.ID, err)
	} else if err = writeIndexes(ctx, indexStatements{tx: tx}, *rowID, r, false); err != nil {
		err = fmt.Errorf("index request %q: %w", r.ID, err)
	}
	if err != nil {
		if _, rollbackErr := tx.ExecContext(ctx, "ROLLBACK TO create_request"); rollbackErr != nil {
			return errors.Join(err, fmt.Errorf("roll back to the savepoint: %w", rollbackErr))
		}
	}
	if _, releaseErr := tx.ExecContext(ctx, "RELEASE create_request"); releaseErr != nil {
		return errors.Join(err, fmt.Errorf("release the savepoint: %w", releaseErr))
	}
	return err
}

// nextChanges takes n change numbers for the rows a write transaction stores, and returns
// the first.
func nextChanges(ctx context.Context, tx *sql.Tx, n int) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, `UPDATE request_changes SET seq = seq + ? WHERE id = 1 RETURNING seq`, n).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("take change numbers: %w", err)
	}
	return last - int64(n) + 1, nil
}

// ImportRequests inserts the requests, or replaces those whose service_request_id exists,
// in one transaction: either all of them are stored or none. A replaced request keeps its
// token, attributes, visibility and reporter data. When two requests in rs have the same
// id, the later one wins.
//
// ImportRequests returns an error of the kind Conflict when a new request has the token of
// another, Invalid when a request has no id, Unavailable when the database is locked past
// the busy timeout or cannot be written, and Internal otherwise.
func (s *Store) ImportRequests(ctx context.Context, rs []georeport.Request) error {
	const op = "sqlite: import requests"

	if len(rs) == 0 {
		return nil
	}
	for i := range rs {
		if rs[i].ID == "" {
			return newError(georeport.Invalid, op, "request %d of %d has an empty service_request_id", i+1, len(rs))
		}
	}

	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return translate(op, fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()

	upsert, err := tx.PrepareContext(ctx, upsertRequestSQL)
	if err != nil {
		return translate(op, fmt.Errorf("prepare upsert: %w", err))
	}
	defer upsert.Close()
	statements, err := prepareIndexStatements(ctx, tx)
	if err != nil {
		return translate(op, err)
	}
	defer statements.close()
	seq, err := nextChanges(ctx, tx, len(rs))
	if err != nil {
		return translate(op, err)
	}

	entries := make([]indexEntry, 0, len(rs))
	for i := range rs {
		r := &rs[i]
		values, err := requestValues(r)
		if err != nil {
			return translate(op, fmt.Errorf("encode request %q: %w", r.ID, err))
		}
		var rowID int64
		var hidden bool
		if err := upsert.QueryRowContext(ctx, append(values, seq+int64(i))...).Scan(&rowID, &hidden); err != nil {
			return translate(op, fmt.Errorf("upsert request %q: %w", r.ID, err))
		}
		if err := writeIndexes(ctx, statements, rowID, r, true); err != nil {
			return translate(op, fmt.Errorf("index request %q: %w", r.ID, err))
		}
		entry := entryOf(rowID, r)
		entry.hidden = hidden // a replaced request keeps its visibility
		entries = append(entries, entry)
	}

	if err := tx.Commit(); err != nil {
		return translate(op, fmt.Errorf("commit %d requests: %w", len(rs), err))
	}
	s.index.put(entries)
	return nil
}

// indexStatements writes request_points and request_words inside tx. An import prepares
// its statements once, and a nil statement runs as plain SQL on tx.
type indexStatements struct {
	tx                                                 *sql.Tx
	deletePoint, insertPoint, deleteWords, insertWords *sql.Stmt
}

func prepareIndexStatements(ctx context.Context, tx *sql.Tx) (indexStatements, error) {
	st := indexStatements{tx: tx}
	targets := []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&st.deletePoint, deletePointSQL},
		{&st.insertPoint, insertPointSQL},
		{&st.deleteWords, deleteWordsSQL},
		{&st.insertWords, insertWordsSQL},
	}
	for _, t := range targets {
		stmt, err := tx.PrepareContext(ctx, t.sql)
		if err != nil {
			st.close()
			return indexStatements{}, fmt.Errorf("prepare %q: %w", t.sql, err)
		}
		*t.stmt = stmt
	}
	return st, nil
}

func (st indexStatements) close() {
	for _, stmt := range []*sql.Stmt{st.deletePoint, st.insertPoint, st.deleteWords, st.insertWords} {
		if stmt != nil {
			stmt.Close()
		}
	}
}

func (st indexStatements) exec(ctx context.Context, stmt *sql.Stmt, query string, args ...any) error {
	var err error
	if stmt != nil {
		_, err = stmt.ExecContext(ctx, args...)
	} else {
		_, err = st.tx.ExecContext(ctx, query, args...)
	}
	return err
}

// writeIndexes writes the location and the search words of the request with the row id.
// With replace, it first deletes what the row had, because an import may move a request or
// change its text.
func writeIndexes(ctx context.Context, st indexStatements, rowID int64, r *georeport.Request, replace bool) error {
	if replace {
		if err := st.exec(ctx, st.deletePoint, deletePointSQL, rowID); err != nil {
			return fmt.Errorf("delete point: %w", err)
		}
		if err := st.exec(ctx, st.deleteWords, deleteWordsSQL, rowID); err != nil {
			return fmt.Errorf("delete words: %w", err)
		}
	}

	if p := r.Location; p != nil {
		var requested int64
		if !r.Requested.IsZero() {
			requested = r.Requested.Unix()
		}
		err := st.exec(ctx, st.insertPoint, insertPointSQL, rowID, p.Long, p.Long, p.Lat, p.Lat, requested, requested)
		if err != nil {
			return fmt.Errorf("insert point: %w", err)
		}
	}
	if words := searchText(r); words != "" {
		if err := st.exec(ctx, st.insertWords, insertWordsSQL, rowID, words); err != nil {
			return fmt.Errorf("insert words: %w", err)
		}
	}
	return nil
}
