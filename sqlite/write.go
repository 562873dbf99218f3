package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/open311-to-go/open311/georeport"
)

// insertColumns are the columns that requestValues fills, and the change number.
const insertColumns = requestColumns + `, agency_folded, detailed_status_list, change_seq`

// insertRequestSQL inserts one request and returns its row id.
var insertRequestSQL = `INSERT INTO requests (` + insertColumns + `)
	VALUES (` + placeholders(strings.Count(insertColumns, ",")+1) + `)
	RETURNING id`

// insertNewRequestSQL inserts a request whose service_request_id is not stored yet.
var insertNewRequestSQL = insertRequestSQL[:strings.LastIndex(insertRequestSQL, "RETURNING")]

// upsertRequestSQL inserts a request or replaces the one with its service_request_id. A
// replaced request keeps its token, attributes, visibility and reporter data, which an
// import does not carry, and its row id, which request_words uses.
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
		if err := s.commitBatch(batch); err != nil {
			s.failQueued(err)
		}
	}
}

// failQueued sends err to every create waiting in the queue. It runs when a batch could not
// begin because another process, such as an open311 cluster run, held the lock past the busy
// timeout. Each batch queued behind it would wait that timeout again, so a burst of POSTs got
// its 503s after 10 s or more instead of 5.
func (s *Store) failQueued(err error) {
	for {
		select {
		case p := <-s.creates:
			p.done <- err
		default:
			return
		}
	}
}

// commitBatch writes a batch in one transaction and sends each caller its result. It
// returns the error that kept the transaction from beginning, which every caller of the
// batch got.
func (s *Store) commitBatch(batch []*pendingCreate) error {
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
		err = fmt.Errorf("begin: %w", err)
		fail(err)
		return err
	}
	defer tx.Rollback()
	seq, err := nextChanges(ctx, tx, len(batch))
	if err != nil {
		fail(err)
		return nil
	}

	var created []string
	var createdIDs []int64
	for i, p := range batch {
		if err := p.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		results[i] = createInSavepoint(ctx, tx, s.insertRequest, p, seq+int64(i), &rowIDs[i])
		if results[i] == nil {
			created = append(created, searchText(p.request))
			createdIDs = append(createdIDs, rowIDs[i])
		}
	}
	if err := writeWords(ctx, tx, createdIDs, created, nil); err != nil {
		fail(err)
		return nil
	}
	// A refresh must not take its snapshot between the commit and the put, or it would put
	// the rows' older versions back after this put.
	s.refreshMu.Lock()
	if err := tx.Commit(); err != nil {
		s.refreshMu.Unlock()
		fail(fmt.Errorf("commit %d requests: %w", len(batch), err))
		return nil
	}

	var entries []indexEntry
	for i, p := range batch {
		if results[i] == nil {
			entries = append(entries, entryOf(rowIDs[i], p.request))
		}
	}
	s.current().index.put(entries)
	s.sawOwnChanges(seq, len(batch))
	s.refreshMu.Unlock()
	for i, p := range batch {
		p.done <- results[i]
	}
	return nil
}

// createInSavepoint inserts one request inside a savepoint, and rolls back to it when the
// insert fails, so that a request that conflicts leaves the others of its batch alone. The
// batch's search words are written after all its rows.
func createInSavepoint(ctx context.Context, tx *sql.Tx, insert *sql.Stmt, p *pendingCreate, seq int64, rowID *int64) error {
	r := p.request
	if _, err := tx.ExecContext(ctx, "SAVEPOINT create_request"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := tx.StmtContext(ctx, insert).QueryRowContext(ctx, append(p.values, seq)...).Scan(rowID)
	if err != nil {
		err = fmt.Errorf("insert request %q: %w", r.ID, err)
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
// An import commits without syncing the disk, which makes a large import several times
// faster, so it is durable once the store closes or the next CreateRequest commits; an
// import cut short by a power loss can be run again.
//
// It returns the number of requests that replaced a stored one, as defined by
// georeport.Store. Its error is of the kind Conflict when a new request has the token of
// another, Invalid when a request has no id, Unavailable when the database is locked past
// the busy timeout or cannot be written, and Internal otherwise.
func (s *Store) ImportRequests(ctx context.Context, rs []georeport.Request) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	prepared, err := s.PrepareImport(rs)
	if err != nil {
		return 0, err
	}
	return s.ImportPrepared(ctx, prepared)
}

// PreparedImport is a batch of requests that PrepareImport checked and encoded.
type PreparedImport struct {
	requests []georeport.Request
	rows     []preparedRow
}

// PrepareImport checks and encodes rs for ImportPrepared without touching the database, so
// that a caller can prepare a batch while the store writes the one before. It returns an
// error of the kind Invalid for a request without an id.
func (s *Store) PrepareImport(rs []georeport.Request) (*PreparedImport, error) {
	const op = "sqlite: import requests"
	for i := range rs {
		if rs[i].ID == "" {
			return nil, newError(georeport.Invalid, op, "request %d of %d has an empty service_request_id", i+1, len(rs))
		}
	}
	rows, err := prepareImport(rs)
	if err != nil {
		return nil, translate(op, err)
	}
	return &PreparedImport{requests: rs, rows: rows}, nil
}

// ImportPrepared writes a batch that PrepareImport prepared, as ImportRequests does. The
// caller must not change the batch's requests in between.
func (s *Store) ImportPrepared(ctx context.Context, p *PreparedImport) (replaced int, err error) {
	const op = "sqlite: import requests"
	rs, prepared := p.requests, p.rows
	if len(rs) == 0 {
		return 0, nil
	}

	// The import holds the writer's one connection, so that its synchronous setting
	// applies to its own transaction only.
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return 0, translate(op, fmt.Errorf("take the writer: %w", err))
	}
	defer conn.Close()
	// A larger WAL between checkpoints saves copying pages that the import writes again,
	// such as those of the unique indexes, whose random keys touch a large part of them in
	// every batch. Importing 1,000,000 requests wrote 7.3 GB and took 55.5 s with a
	// checkpoint every 16,384 pages, and 6.6 GB and 51.9 s with one every 65,536 (256 MiB);
	// 262,144 pages saved only another 0.6 s.
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 65536"); err != nil {
		return 0, translate(op, fmt.Errorf("set synchronous: %w", err))
	}
	defer conn.ExecContext(context.Background(), "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 1000")
	if len(rs) >= bulkImportRequests && !s.bulkWords.Load() {
		if _, err := conn.ExecContext(ctx, setAutomergeSQL+"0)"); err != nil {
			return 0, translate(op, fmt.Errorf("pause the merging of search words: %w", err))
		}
		s.bulkWords.Store(true)
	}

	// As for creates, no refresh may take its snapshot between the commit and the put.
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	entries, seq, replaced, err := importInTransaction(ctx, conn, rs, prepared)
	if err != nil {
		return 0, translate(op, err)
	}
	s.current().index.put(entries)
	s.sawOwnChanges(seq, len(rs))
	return replaced, nil
}

// bulkImportRequests is the size of an ImportRequests call from which the store stops
// FTS5's automatic merging of search words until it closes. Each transaction writes a new
// segment of words, and merging them four at a time as they come took 5.6 s of a 61 s
// import of 1,000,000 requests. FTS5 still merges a level that reaches 16 segments.
//
// NOTE: An import that is killed leaves automerge at 0 until a later large import closes
// normally, and FTS5 then merges only at 16 segments a level.
const bulkImportRequests = 1000

// setAutomergeSQL sets FTS5's automerge option of request_words when the number and a
// closing parenthesis follow.
const setAutomergeSQL = `INSERT INTO request_words (request_words, rank) VALUES ('automerge', `

// wordsAutomerge is the automerge option of request_words outside large imports: FTS5 merges
// the segments of words of a level once it has this many. Each commit of POSTs writes a
// segment, and with FTS5's default of 4, the commits that ran the merges took up to 100 ms.
// With 8, the POST load test at 1,000,000 requests (wrk, 32 connections, two runs each)
// served 4,964-5,059 requests/s against 3,633-3,880, with a p99 of 25 ms against 84-100 ms.
// A search then reads up to 8 segments a level instead of 4, but after about 50,000 POSTs,
// counting the matches of a word took as long with either setting: 2-3 ms for 38,000
// matches, under 0.1 ms for none.
const wordsAutomerge = 8

// setWordsMerging sets the automerge option of request_words to wordsAutomerge when it has
// FTS5's default, as in a store that an earlier version made or that Cluster rebuilt. It
// leaves 0, which an import in progress sets, to that import.
func setWordsMerging(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}) error {
	var value string
	err := db.QueryRowContext(ctx, `SELECT v FROM request_words_config WHERE k = 'automerge'`).Scan(&value)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the automerge option of the search words: %w", err)
	}
	if err == nil && value != "4" {
		return nil
	}
	if _, err := db.ExecContext(ctx, setAutomergeSQL+strconv.Itoa(wordsAutomerge)+")"); err != nil {
		return fmt.Errorf("set the automerge option of the search words: %w", err)
	}
	return nil
}

// sawOwnChanges records that the index has the rows of a write whose change numbers are the
// n from first, when it had every change before them. The next refresh then does not read
// this process's own rows again: at 1,000,000 requests, putting them back took 130 ms a
// second under a load of POSTs. Callers hold refreshMu.
func (s *Store) sawOwnChanges(first int64, n int) {
	if s.knownChange == first-1 {
		s.knownChange = first + int64(n) - 1
	}
}

// preparedRow is a request encoded for the upsert, with its search words.
type preparedRow struct {
	values []any
	words  string
}

// prepareImport encodes the requests' columns and search words on two goroutines, so that
// an import uses a second processor for the work that needs no database.
func prepareImport(rs []georeport.Request) ([]preparedRow, error) {
	prepared := make([]preparedRow, len(rs))
	errs := make([]error, 2)
	var wg sync.WaitGroup
	half := len(rs) / 2
	for part, bounds := range [][2]int{{0, half}, {half, len(rs)}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := bounds[0]; i < bounds[1]; i++ {
				values, err := requestValues(&rs[i])
				if err != nil {
					errs[part] = fmt.Errorf("encode request %q: %w", rs[i].ID, err)
					return
				}
				prepared[i] = preparedRow{values: values, words: searchText(&rs[i])}
			}
		}()
	}
	wg.Wait()
	return prepared, errors.Join(errs...)
}

// importInTransaction writes rs in one transaction on conn and returns their index entries,
// the first of their change numbers and the number of requests that replaced a stored one.
func importInTransaction(ctx context.Context, conn *sql.Conn, rs []georeport.Request, prepared []preparedRow) (entries []indexEntry, seq int64, replaced int, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	existing, stored, err := existingRows(ctx, tx, rs)
	if err != nil {
		return nil, 0, 0, err
	}
	upsert, err := tx.PrepareContext(ctx, upsertRequestSQL)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("prepare upsert: %w", err)
	}
	defer upsert.Close()
	insert, err := tx.PrepareContext(ctx, insertNewRequestSQL)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("prepare insert: %w", err)
	}
	defer insert.Close()
	seq, err = nextChanges(ctx, tx, len(rs))
	if err != nil {
		return nil, 0, 0, err
	}

	entries = make([]indexEntry, 0, len(rs))
	last := make(map[string]int, len(rs)) // the position of each id's last occurrence
	for i := range rs {
		last[rs[i].ID] = i
	}
	var words []string
	var wordRowIDs []int64
	for i := range rs {
		r := &rs[i]
		var rowID int64
		hidden := r.Visibility == georeport.Hidden
		values := append(prepared[i].values, seq+int64(i))
		if stored[r.ID] {
			replaced++
			if err := upsert.QueryRowContext(ctx, values...).Scan(&rowID, &hidden); err != nil {
				return nil, 0, 0, fmt.Errorf("upsert request %q: %w", r.ID, err)
			}
		} else {
			// A request new to the store is a plain insert without RETURNING, so database/sql
			// opens no result set for it. open311 seed of 200,000 took 24 s instead of 29 s.
			result, err := insert.ExecContext(ctx, values...)
			if err == nil {
				rowID, err = result.LastInsertId()
			}
			if err != nil {
				return nil, 0, 0, fmt.Errorf("insert request %q: %w", r.ID, err)
			}
			stored[r.ID] = true
		}
		if last[r.ID] == i {
			words = append(words, prepared[i].words)
			wordRowIDs = append(wordRowIDs, rowID)
		}
		entry := entryOf(rowID, r)
		entry.hidden = hidden // a replaced request keeps its visibility
		entries = append(entries, entry)
	}
	if err := writeWords(ctx, tx, wordRowIDs, words, existing); err != nil {
		return nil, 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, 0, fmt.Errorf("commit %d requests: %w", len(rs), err)
	}
	return entries, seq, replaced, nil
}

// existingRows returns the row ids of the requests of rs that are stored already, whose
// search words an import replaces, and the set of their service_request_ids.
func existingRows(ctx context.Context, tx *sql.Tx, rs []georeport.Request) ([]int64, map[string]bool, error) {
	var rowIDs []int64
	stored := map[string]bool{}
	for start := 0; start < len(rs); start += wordsPerStatement {
		chunk := rs[start:min(start+wordsPerStatement, len(rs))]
		args := make([]any, len(chunk))
		for i := range chunk {
			args[i] = chunk[i].ID
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, service_request_id FROM requests WHERE service_request_id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("look up existing requests: %w", err)
		}
		for rows.Next() {
			var rowID int64
			var id string
			if err := rows.Scan(&rowID, &id); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("look up existing requests: %w", err)
			}
			rowIDs = append(rowIDs, rowID)
			stored[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("look up existing requests: %w", err)
		}
	}
	return rowIDs, stored, nil
}

// writeWords writes the search words of the rows with the row ids, in few statements, so
// that FTS5 indexes them in one go; an import also deletes the words its replaced rows had.
func writeWords(ctx context.Context, tx *sql.Tx, rowIDs []int64, words []string, replaced []int64) error {
	for start := 0; start < len(replaced); start += wordsPerStatement {
		chunk := replaced[start:min(start+wordsPerStatement, len(replaced))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		query := `DELETE FROM request_words WHERE rowid IN (` + placeholders(len(chunk)) + `)`
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("delete words: %w", err)
		}
	}

	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		query := `INSERT INTO request_words (rowid, words) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?), ", len(args)/2), ", ")
		_, err := tx.ExecContext(ctx, query, args...)
		args = args[:0]
		return err
	}
	for i, text := range words {
		if text != "" {
			args = append(args, rowIDs[i], text)
		}
		if len(args) == 2*wordsPerStatement {
			if err := flush(); err != nil {
				return fmt.Errorf("insert words: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("insert words: %w", err)
	}
	return nil
}

// wordsPerStatement bounds the rows of one statement of writeWords, within SQLite's limit of
// 32,766 parameters.
const wordsPerStatement = 1000
