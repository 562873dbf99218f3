package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/open311-to-go/open311/georeport"
)

var selectRequestSQL = `SELECT ` + packedColumns + ` FROM requests WHERE service_request_id = ?`

const selectTokenSQL = `SELECT service_request_id FROM requests WHERE token = ?`

// Request returns the request with the id, hidden or not, with every field that
// CreateRequest or ImportRequests stored.
//
// Request returns an error of the kind NotFound when no request has the id, Unavailable when
// the database is locked past the busy timeout or cannot be read, and Internal otherwise.
func (s *Store) Request(ctx context.Context, id string) (*georeport.Request, error) {
	const op = "sqlite: request"

	// A request in the index is read by row id, or from the cache when it is there. One that
	// another process wrote since the last refresh is looked up by its id.
	view := s.current()
	if rowID, version, ok := view.index.lookupID(id); ok {
		key := cacheKey{rowID: rowID, version: version}
		if r, ok := view.cache.get(key); ok {
			c := *r
			return &c, nil
		}
		byRowID := map[int64]*georeport.Request{}
		if err := s.readRows(ctx, "["+strconv.FormatInt(rowID, 10)+"]", false, byRowID); err != nil {
			return nil, translate(op, fmt.Errorf("read request %q: %w", id, err))
		}
		if r, ok := byRowID[rowID]; ok && r.ID == id {
			view.cache.put(key, r)
			c := *r
			return &c, nil
		}
	}
	if err := s.beginRead(ctx); err != nil {
		return nil, translate(op, fmt.Errorf("read request %q: %w", id, err))
	}
	r, err := scanPacked(s.selectRequest.QueryRowContext(ctx, id))
	s.endRead()
	if errors.Is(err, sql.ErrNoRows) {
		return nil, newError(georeport.NotFound, op, "no request has service_request_id %q", id)
	}
	if err != nil {
		return nil, translate(op, fmt.Errorf("read request %q: %w", id, err))
	}
	return r, nil
}

// RequestIDByToken returns the service_request_id of the request filed under the batch
// token.
//
// RequestIDByToken returns an error of the kind NotFound when no request has the token,
// Unavailable when the database is locked past the busy timeout or cannot be read, and
// Internal otherwise.
func (s *Store) RequestIDByToken(ctx context.Context, token string) (string, error) {
	const op = "sqlite: request id by token"

	var id string
	if err := s.beginRead(ctx); err != nil {
		return "", translate(op, fmt.Errorf("read token %q: %w", token, err))
	}
	err := s.selectToken.QueryRowContext(ctx, token).Scan(&id)
	s.endRead()
	if errors.Is(err, sql.ErrNoRows) {
		return "", newError(georeport.NotFound, op, "no request has token %q", token)
	}
	if err != nil {
		return "", translate(op, fmt.Errorf("read token %q: %w", token, err))
	}
	return id, nil
}

// FindRequests returns one page of the requests that match q, in q's order, and the count
// of all matches. One statement reads both, so they come from one snapshot of the database,
// except for a page past the end, whose count is read afterwards. With a circle, Distances
// holds each request's distance from its centre as georeport.Distance measures it.
//
// Words are normalized with georeport.SearchWords, and each word that gives must occur in
// the request's words; a word without letters or digits adds no condition. A Limit of 0 or
// less returns every match from Offset on.
//
// FindRequests returns an error of the kind Unavailable when the database is locked past the
// busy timeout or cannot be read, and Internal otherwise.
func (s *Store) FindRequests(ctx context.Context, q *georeport.Query) (*georeport.Page, error) {
	const op = "sqlite: find requests"

	var page *georeport.Page
	var err error
	view := s.current()
	switch {
	case view.index.supports(q):
		page, err = s.findInIndex(ctx, q)
	case len(q.Words) > 0 && view.index.supportsAmong(q):
		page, err = s.findByWords(ctx, q, view)
	default:
		page, err = s.findInSQL(ctx, q)
	}
	if err != nil {
		return nil, translate(op, err)
	}
	return page, nil
}

// selectWordRowsSQL finds the row ids of the requests whose search words match an FTS5
// expression, as one text with commas between them, and reads the layout and change numbers
// in the same snapshot. The text is NULL when no request matches.
const selectWordRowsSQL = `SELECT layout, seq,
	(SELECT group_concat(rowid) FROM request_words WHERE request_words MATCH ?)
	FROM request_changes WHERE id = 1`

// findByWords runs a query with search words: FTS5 finds the rows that have the words, and
// the in-memory index of view filters, orders and counts them, so that only the rows of the
// page are read. In SQL, every match was read as a row: at 1,000,000 requests, a word with
// 62,000 matches in the last 90 days took 1.2 s.
//
// The query runs in SQL when Cluster renumbered the rows since view was loaded, or when the
// words' snapshot has writes that the index has not seen, which another process made since
// the last refresh. Otherwise the words could be newer than the fields the index filters
// on, and a request whose import changed both its text and its status would match neither
// status.
func (s *Store) findByWords(ctx context.Context, q *georeport.Query, view *storeView) (*georeport.Page, error) {
	match := matchExpression(q.Words)
	if match == "" {
		// Words without letters or digits add no condition.
		plain := *q
		plain.Words = nil
		return s.readFound(ctx, &plain, view, view.index.find(&plain))
	}

	if err := s.beginRead(ctx); err != nil {
		return nil, fmt.Errorf("select words: %w", err)
	}
	var layout, seq int64
	var list sql.NullString
	read := false
	rows, err := s.query(ctx, selectWordRowsSQL, match)
	if err == nil {
		if read = rows.Next(); read {
			err = rows.Scan(&layout, &seq, &list)
		} else {
			err = rows.Err()
		}
		if closeErr := rows.Close(); err == nil {
			err = closeErr
		}
	}
	s.endRead()
	if err != nil {
		return nil, fmt.Errorf("select words: %w", err)
	}
	if !read {
		// Every migrated store has the row of change numbers. Without it, SQL still reads
		// the requests.
		return s.findInSQL(ctx, q)
	}
	// A commit of this store holds refreshMu until the index has its rows.
	s.refreshMu.Lock()
	known := s.knownChange
	s.refreshMu.Unlock()
	if layout != view.layout || seq > known {
		return s.findInSQL(ctx, q)
	}
	slots, err := parseRowIDs(list.String)
	if err != nil {
		// A row id beyond the index's 32-bit slots.
		return s.findInSQL(ctx, q)
	}
	found, complete := view.index.findAmong(q, slots)
	if !complete {
		return s.findInSQL(ctx, q)
	}
	return s.readFound(ctx, q, view, found)
}

// parseRowIDs parses the row ids of selectWordRowsSQL.
func parseRowIDs(list string) ([]int32, error) {
	if list == "" {
		return nil, nil
	}
	slots := make([]int32, 0, strings.Count(list, ",")+1)
	for part := range strings.SplitSeq(list, ",") {
		id, err := strconv.ParseInt(part, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("row id %q: %w", part, err)
		}
		slots = append(slots, int32(id))
	}
	return slots, nil
}

// findInSQL runs q as one SQL statement, for the queries that the in-memory index does not
// run, such as those by id.
func (s *Store) findInSQL(ctx context.Context, q *georeport.Query) (*georeport.Page, error) {
	built := buildQuery(q)
	page := &georeport.Page{}
	if built.circle {
		page.Distances = []float64{}
	}
	if err := s.beginRead(ctx); err != nil {
		return nil, err
	}
	defer s.endRead()

	rows, err := s.query(ctx, built.selectSQL, built.selectArgs...)
	if err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var total int
		var distance sql.NullFloat64
		extra := []any{&total}
		if built.circle {
			extra = append(extra, &distance)
		}
		r, err := scanPacked(rows, extra...)
		if err != nil {
			return nil, fmt.Errorf("read request: %w", err)
		}
		page.Requests = append(page.Requests, r)
		page.Total = total
		if built.circle {
			page.Distances = append(page.Distances, distance.Float64)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	if len(page.Requests) > 0 || built.offset == 0 {
		return page, nil
	}

	count, err := s.query(ctx, built.countSQL, built.countArgs...)
	if err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	defer count.Close()
	if count.Next() {
		if err := count.Scan(&page.Total); err != nil {
			return nil, fmt.Errorf("count: %w", err)
		}
	}
	if err := count.Err(); err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	return page, nil
}

// query runs a FindRequests statement on the readers, prepared once per connection while
// the statement cache has room.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := s.queries.get(ctx, s.readers, query)
	if err != nil {
		return nil, err
	}
	if stmt == nil {
		return s.readers.QueryContext(ctx, query, args...)
	}
	return stmt.QueryContext(ctx, args...)
}

// builtQuery is the SQL of a FindRequests call.
type builtQuery struct {
	// selectSQL returns packedColumns or packedStandardColumns, the count of all matches, and with a circle the
	// distance from its centre.
	selectSQL  string
	selectArgs []any
	countSQL   string
	countArgs  []any
	circle     bool
	limit      int // -1 for no limit
	offset     int
}

// buildQuery turns q into a select of one page and a count of all matches. Lists of one
// value become "=" and longer ones "IN", so that a single service code and status can walk
// the index requests_service in order.
//
// NOTE: The count reads every match, so its cost grows with the matches, not the page. A
// 90-day window over 100,000 requests took 1.1 to 1.7 ms (BenchmarkFindRequests, 2 cores,
// shared machine). Several service codes, or a jurisdiction with a service code, filter a
// date window row by row, because no index covers those pairs.
func buildQuery(q *georeport.Query) builtQuery {
	var w where

	var circle *georeport.Circle
	if len(q.IDs) > 0 {
		// The unary plus keeps SQLite from counting through an index that leads with
		// hidden, which reads every public row, instead of looking up each id.
		if !q.IncludeHidden {
			w.add("+hidden = 0")
		}
		w.in("service_request_id", q.IDs)
	} else {
		if q.IncludeHidden {
			// Naming both values lets the indexes that lead with hidden serve the query.
			w.add("hidden IN (0, 1)")
		} else {
			w.add("hidden = 0")
		}
		circle = q.Circle
		addConditions(&w, q)
	}
	if q.Jurisdiction != "" {
		w.add("jurisdiction = ?", q.Jurisdiction)
	}

	b := builtQuery{limit: -1, offset: max(q.Offset, 0), circle: circle != nil}
	if q.Limit > 0 {
		b.limit = q.Limit
	}

	from := "requests"
	var fromArgs []any

	conditions := strings.Join(w.conditions, " AND ")
	b.countSQL = "SELECT count(*) FROM " + from + " WHERE " + conditions
	b.countArgs = append(append([]any(nil), fromArgs...), w.args...)

	// The count is a subquery that does not depend on the row, so SQLite runs it once.
	var sb strings.Builder
	var args []any
	sb.WriteString("SELECT ")
	if q.StandardFields {
		sb.WriteString(packedStandardColumns)
	} else {
		sb.WriteString(packedColumns)
	}
	sb.WriteString(", (" + b.countSQL + ") AS total")
	args = append(args, b.countArgs...)
	if circle != nil {
		sb.WriteString(", open311_distance(?, ?, lat, long) AS distance")
		args = append(args, circle.Center.Lat, circle.Center.Long)
	}
	sb.WriteString(" FROM " + from + " WHERE ")
	sb.WriteString(conditions)
	args = append(args, fromArgs...)
	args = append(args, w.args...)
	if circle != nil && q.Order == georeport.NearestFirst {
		sb.WriteString(" ORDER BY distance ASC, requested_at DESC, service_request_id DESC")
	} else {
		sb.WriteString(" ORDER BY requested_at DESC, service_request_id DESC")
	}
	sb.WriteString(" LIMIT ? OFFSET ?")
	args = append(args, b.limit, b.offset)

	b.selectSQL = sb.String()
	b.selectArgs = args
	return b
}

// addConditions adds the conditions of q other than its ids, jurisdiction and visibility.
func addConditions(w *where, q *georeport.Query) {
	if len(q.ServiceCodes) > 0 {
		w.in("service_code", q.ServiceCodes)
	}
	if len(q.Statuses) > 0 {
		statuses := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			statuses[i] = string(st)
		}
		w.in("status", statuses)
	}

	// Stored times are whole seconds, so bounds compare to the second.
	if !q.RequestedFrom.IsZero() {
		w.add("requested_at >= ?", q.RequestedFrom.Unix())
	}
	if !q.RequestedTo.IsZero() {
		w.add("requested_at <= ?", q.RequestedTo.Unix())
	}
	if !q.UpdatedFrom.IsZero() {
		w.add("updated_at >= ?", q.UpdatedFrom.Unix())
	}
	if !q.UpdatedTo.IsZero() {
		w.add("updated_at <= ?", q.UpdatedTo.Unix())
	}

	if b := q.BBox; b != nil {
		w.add("long BETWEEN ? AND ? AND lat BETWEEN ? AND ?", b.MinLong, b.MaxLong, b.MinLat, b.MaxLat)
	}
	if c := q.Circle; c != nil {
		w.add("open311_distance(?, ?, lat, long) <= ?", c.Center.Lat, c.Center.Long, c.Radius)
	}

	if q.ServiceObjectType != "" {
		w.add("service_object_type = ?", q.ServiceObjectType)
	}
	if q.ServiceObjectID != "" {
		w.add("service_object_id = ?", q.ServiceObjectID)
	}

	if match := matchExpression(q.Words); match != "" {
		w.add("requests.id IN (SELECT rowid FROM request_words WHERE request_words MATCH ?)", match)
	}
	if q.Agency != "" {
		w.add("agency_folded = ?", foldAgency(q.Agency))
	}
	if len(q.DetailedStatuses) > 0 {
		var alternatives []string
		var args []any
		for _, d := range q.DetailedStatuses {
			alternatives = append(alternatives, "instr(detailed_status_list, ?) > 0")
			args = append(args, ","+d+",")
		}
		w.add("("+strings.Join(alternatives, " OR ")+")", args...)
	}
}

// matchExpression returns the FTS5 query that requires every search word of words, or ""
// when they have none. Each word is a quoted string, and a quoted string is a phrase, never
// an operator, so no user text reaches FTS5's query syntax. The words have letters and
// digits only, so the quoting is a guard, not a need.
func matchExpression(words []string) string {
	var phrases []string
	for _, word := range words {
		for _, w := range georeport.SearchWords(word) {
			phrases = append(phrases, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
		}
	}
	return strings.Join(phrases, " ")
}

// where is a WHERE clause being built: conditions that AND joins, and their arguments.
type where struct {
	conditions []string
	args       []any
}

func (w *where) add(condition string, args ...any) {
	w.conditions = append(w.conditions, condition)
	w.args = append(w.args, args...)
}

// in adds "column = ?" for one value and "column IN (?, …)" for more.
func (w *where) in(column string, values []string) {
	if len(values) == 1 {
		w.add(column+" = ?", values[0])
		return
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	w.add(column+" IN ("+placeholders(len(values))+")", args...)
}

// maxCachedStatements bounds the statements that a statementCache keeps. Lists of many
// lengths give many SQL texts, so past the bound a query runs unprepared.
const maxCachedStatements = 256

// statementCache keeps prepared FindRequests statements by their SQL text. database/sql
// prepares a statement on each connection that runs it, once.
type statementCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// get returns the statement for query, prepared on db, or nil when the cache is full.
func (c *statementCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if stmt, ok := c.stmts[query]; ok {
		return stmt, nil
	}
	if len(c.stmts) >= maxCachedStatements {
		return nil, nil
	}
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*sql.Stmt)
	}
	c.stmts[query] = stmt
	return stmt, nil
}

// closeAll closes the statements and passes each failure to report.
func (c *statementCache) closeAll(report func(error)) {
	c.mu.Lock()
	defer c.mu.Unlock()

	for query, stmt := range c.stmts {
		if err := stmt.Close(); err != nil {
			report(fmt.Errorf("close statement %q: %w", query, err))
		}
	}
	c.stmts = nil
}

// selectSeparatedByRowIDsSQL reads the requests whose row ids a JSON array lists, and
// selectSeparatedStandardByRowIDsSQL their standard fields.
var (
	selectSeparatedByRowIDsSQL         = selectByRowIDs(separatedColumns)
	selectSeparatedStandardByRowIDsSQL = selectByRowIDs(separatedStandardColumns)
)

// selectByIDsSQL and selectStandardByIDsSQL read requests by the service_request_ids of a
// JSON array.
var (
	selectByIDsSQL         = `SELECT ` + packedColumns + `, id FROM requests WHERE service_request_id IN (SELECT value FROM json_each(?))`
	selectStandardByIDsSQL = `SELECT ` + packedStandardColumns + `, id FROM requests WHERE service_request_id IN (SELECT value FROM json_each(?))`
)

// selectByRowIDs returns a select of the columns of the rows whose row ids a JSON array
// lists. CROSS JOIN makes SQLite look the ids up in the array's order, which readFound sorts,
// instead of first copying them into a temporary index as id IN (...) does. Circles at
// 1,000,000 requests (BenchmarkFindOnFile) took 5% less time.
func selectByRowIDs(columns string) string {
	return `SELECT ` + columns + `, requests.id FROM json_each(?) AS wanted CROSS JOIN requests ON requests.id = wanted.value`
}

// FindRequestsInParts runs q as FindRequests does and hands over its page size requests at a
// time. The index finds the whole page at once; only the reading of the rows is split.
func (s *Store) FindRequestsInParts(ctx context.Context, q *georeport.Query, size int, part func(*georeport.Page) error) error {
	const op = "sqlite: find requests"
	view := s.current()
	if !view.index.supports(q) || size <= 0 {
		page, err := s.FindRequests(ctx, q)
		if err != nil {
			return err
		}
		return part(page)
	}
	found := view.index.find(q)
	for from := 0; from == 0 || from < len(found.rowIDs); from += size {
		to := min(from+size, len(found.rowIDs))
		piece := memResult{rowIDs: found.rowIDs[from:to], versions: found.versions[from:to], total: found.total}
		if found.distances != nil {
			piece.distances = found.distances[from:to]
		}
		page, err := s.readFound(ctx, q, view, piece)
		if err != nil {
			return translate(op, err)
		}
		if err := part(page); err != nil {
			return err
		}
	}
	return nil
}

// findInIndex finds the page and the count in the in-memory index, then reads the page's
// requests.
func (s *Store) findInIndex(ctx context.Context, q *georeport.Query) (*georeport.Page, error) {
	view := s.current()
	return s.readFound(ctx, q, view, view.index.find(q))
}

// readFound reads the requests of rows that the index of view found, from its cache or
// SQLite.
func (s *Store) readFound(ctx context.Context, q *georeport.Query, view *storeView, found memResult) (*georeport.Page, error) {
	page := &georeport.Page{Total: found.total}
	if q.Circle != nil {
		page.Distances = []float64{}
	}
	if len(found.rowIDs) == 0 {
		return page, nil
	}

	// Take what the cache has, and read the rest from SQLite in one statement.
	requests := make([]*georeport.Request, len(found.rowIDs))
	view.cache.findAll(found.rowIDs, found.versions, q.StandardFields, requests)
	// The row ids go in ascending order, in which rows that lie together are read together.
	var list []byte
	var onStack [100]int64 // a page of 100 needs no slice on the heap
	missing := onStack[:0]
	for i, id := range found.rowIDs {
		if requests[i] == nil {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	for i, id := range missing {
		if i == 0 {
			list = append(make([]byte, 0, 8*len(missing)+2), '[')
		} else {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	if list != nil {
		byRowID := map[int64]*georeport.Request{}
		if err := s.readRows(ctx, string(append(list, ']')), q.StandardFields, byRowID); err != nil {
			return nil, err
		}
		// Until a refresh loads the index again, the rows that Cluster renumbered contain other
		// requests than the index has under their row ids.
		view.index.dropOthers(byRowID)
		for i, id := range found.rowIDs {
			if r, ok := byRowID[id]; ok && requests[i] == nil {
				requests[i] = r
				view.cache.put(cacheKey{rowID: id, version: found.versions[i], standard: q.StandardFields}, r)
			}
		}
		if err := s.readMoved(ctx, q.StandardFields, view, found.rowIDs, requests); err != nil {
			return nil, err
		}
	}

	// A row that another process deleted since the index saw it is left out.
	page.Requests = requests[:0]
	for i, r := range requests {
		if r == nil {
			continue
		}
		page.Requests = append(page.Requests, r)
		if q.Circle != nil {
			page.Distances = append(page.Distances, found.distances[i])
		}
	}
	return page, nil
}

// readMoved fills in the requests that are still nil by their service_request_ids, which
// the index has under their row ids. Mostly their rows moved: Cluster renumbered them, and
// the refresh that loads the index again has not swapped it in yet. Reading them by id keeps
// the pages whole in the meantime, at the cost of a lookup in the index of ids per row. A
// row whose text contains the separator of readRows is read here too, with packedColumns.
func (s *Store) readMoved(ctx context.Context, standard bool, view *storeView, rowIDs []int64, requests []*georeport.Request) error {
	var missing []int64
	for i, r := range requests {
		if r == nil {
			missing = append(missing, rowIDs[i])
		}
	}
	if len(missing) == 0 {
		return nil
	}

	ids := view.index.idsOf(missing)
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("select moved rows: %w", err)
	}

	query := selectByIDsSQL
	if standard {
		query = selectStandardByIDsSQL
	}
	if err := s.beginRead(ctx); err != nil {
		return fmt.Errorf("select moved rows: %w", err)
	}
	defer s.endRead()
	rows, err := s.query(ctx, query, string(list))
	if err != nil {
		return fmt.Errorf("select moved rows: %w", err)
	}
	defer rows.Close()
	byID := make(map[string]*georeport.Request, len(ids))
	for rows.Next() {
		var rowID int64
		r, err := scanPacked(rows, &rowID)
		if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		byID[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("select moved rows: %w", err)
	}

	next := 0
	for i, r := range requests {
		if r != nil {
			continue
		}
		if found, ok := byID[ids[next]]; ok && ids[next] != "" {
			requests[i] = found
		}
		next++
	}
	return nil
}

// readRows reads the requests whose row ids the JSON array list names into byRowID, only
// their standard fields when standard is set. It reads separatedColumns, so it leaves out
// a row whose text contains the separator. Its callers read the rows left out once more by
// service_request_id, with packedColumns.
func (s *Store) readRows(ctx context.Context, list string, standard bool, byRowID map[int64]*georeport.Request) error {
	query := selectSeparatedByRowIDsSQL
	if standard {
		query = selectSeparatedStandardByRowIDsSQL
	}
	if err := s.beginRead(ctx); err != nil {
		return fmt.Errorf("select page: %w", err)
	}
	defer s.endRead()
	rows, err := s.query(ctx, query, list)
	if err != nil {
		return fmt.Errorf("select page: %w", err)
	}
	defer rows.Close()
	reader := newSeparatedReader()
	for rows.Next() {
		r, rowID, err := reader.read(rows)
		if errors.Is(err, errSeparator) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		byRowID[rowID] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("select page: %w", err)
	}
	return nil
}
