package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// refreshInterval is how often a store looks for requests that other processes wrote, such
// as an import that runs beside the server.
const refreshInterval = time.Second

// indexColumns are the columns of a request that the in-memory index keeps.
const indexColumns = `id, service_request_id, requested_at, updated_at, lat, long, status, hidden,
	service_code, jurisdiction, agency_folded, service_object_type, service_object_id, detailed_status_list`

// refresh puts into the in-memory index every request whose change number is above the last
// one seen. It reads the numbers and the rows in one read transaction, so that it sees every
// row up to the number it records. The first refresh, and one that finds the layout number
// changed because Cluster renumbered the rows, load a new index from every row and replace
// the view with it and an empty cache.
func (s *Store) refresh(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.refreshMu.Lock()
	locked := true
	defer func() {
		if locked {
			s.refreshMu.Unlock()
		}
	}()

	tx, err := s.readers.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	var latest, layout int64
	if err := tx.QueryRowContext(ctx, `SELECT seq, layout FROM request_changes WHERE id = 1`).Scan(&latest, &layout); err != nil {
		return fmt.Errorf("read the change number: %w", err)
	}
	if latest == s.knownChange && layout == s.knownLayout {
		return nil
	}
	reload := s.knownChange < 0 || layout != s.knownLayout
	index := s.current().index
	since := s.knownChange
	if reload {
		// A load sizes the index once instead of letting it grow by doubling.
		var maxRowID, count sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(id), count(*) FROM requests`).Scan(&maxRowID, &count); err != nil {
			return fmt.Errorf("count requests: %w", err)
		}
		index = newMemIndex()
		index.reserve(int(maxRowID.Int64), int(count.Int64))
		since = -1
		if s.knownChange >= 0 {
			// Loading a million rows took 12 s beside a cluster run, and writes need not wait
			// for it. The snapshot is taken, so a write that commits meanwhile has a change
			// number above latest, and the next refresh puts it into the new index.
			s.refreshMu.Unlock()
			locked = false
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+indexColumns+` FROM requests WHERE change_seq > ?`, since)
	if err != nil {
		return fmt.Errorf("read changed requests: %w", err)
	}
	defer rows.Close()

	put := index.put
	if reload {
		put = index.load
	}
	const batch = 10_000
	entries := make([]indexEntry, 0, batch)
	read := 0
	for rows.Next() {
		e, err := scanIndexEntry(rows)
		if err != nil {
			return fmt.Errorf("read changed requests: %w", err)
		}
		read++
		entries = append(entries, e)
		if len(entries) == batch {
			put(entries)
			entries = entries[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read changed requests: %w", err)
	}
	put(entries)
	if reload {
		index.finishLoad()
		if !locked {
			s.refreshMu.Lock()
			locked = true
		}
		if s.knownChange >= 0 {
			s.logger.Info("the store's rows were renumbered by a cluster run; the request index was loaded again",
				"path", s.path, "requests", read)
		}
		s.view.Store(&storeView{index: index, cache: newRequestCache(defaultCacheBytes), layout: layout})
	}
	if reload && read > 100_000 {
		// The load leaves behind garbage about the size of the index. It goes back to the
		// operating system now, so the heap does not keep it until it grows into it.
		debug.FreeOSMemory()
	}
	s.knownChange, s.knownLayout = latest, layout
	return nil
}

func scanIndexEntry(rows *sql.Rows) (indexEntry, error) {
	var (
		e                  indexEntry
		requested, updated sql.NullInt64
		lat, long          sql.NullFloat64
		status             string
	)
	err := rows.Scan(&e.rowID, &e.id, &requested, &updated, &lat, &long, &status, &e.hidden,
		&e.serviceCode, &e.jurisdiction, &e.agencyFolded, &e.objectType, &e.objectID, &e.detailedStatusSet)
	if err != nil {
		return e, err
	}
	e.requested = unixOrNone(!requested.Valid, requested.Int64)
	e.updated = unixOrNone(!updated.Valid, updated.Int64)
	if lat.Valid && long.Valid {
		e.location = &georeport.Point{Lat: lat.Float64, Long: long.Float64}
	}
	e.status = georeport.Status(status)
	return e, nil
}

// refreshEvery refreshes the index every interval until ctx ends.
func (s *Store) refreshEvery(ctx context.Context, interval time.Duration) {
	defer close(s.refreshDone)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := s.refresh(ctx); err != nil && ctx.Err() == nil {
			s.logger.Warn("refresh of the request index failed", "path", s.path, "err", err)
		}
	}
}
