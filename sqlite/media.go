package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// ReserveMedia records a file that a POST is storing. Its time is stored in whole seconds.
//
// ReserveMedia returns an error of the kind Conflict when the name is reserved already,
// Invalid when the name is empty, Unavailable when the database is locked past the busy
// timeout or cannot be written, and Internal otherwise.
func (s *Store) ReserveMedia(ctx context.Context, m georeport.MediaReservation) error {
	const op = "sqlite: reserve media"

	if m.Name == "" {
		return newError(georeport.Invalid, op, "the file name is empty")
	}
	// Reservations queue for the one writer connection, and each waits up to the busy
	// timeout for a lock that another process holds. The deadline keeps the uploads of a
	// burst from waiting for it one after another.
	ctx, cancel := context.WithTimeout(ctx, busyTimeout)
	defer cancel()
	_, err := s.writer.ExecContext(ctx, `INSERT INTO media_reservations (name, url, reserved_at) VALUES (?, ?, ?)`,
		m.Name, m.URL, m.Reserved.Unix())
	if err != nil {
		return translate(op, fmt.Errorf("reserve %s: %w", m.Name, err))
	}
	return nil
}

// ReleaseMedia deletes the reservations of the named files in one transaction.
//
// ReleaseMedia returns an error of the kind Unavailable when the database is locked past the
// busy timeout or cannot be written, and Internal otherwise.
func (s *Store) ReleaseMedia(ctx context.Context, names []string) error {
	const op = "sqlite: release media"

	if len(names) == 0 {
		return nil
	}
	args := make([]any, len(names))
	for i, name := range names {
		args[i] = name
	}
	_, err := s.writer.ExecContext(ctx,
		`DELETE FROM media_reservations WHERE name IN (`+placeholders(len(names))+`)`, args...)
	if err != nil {
		return translate(op, fmt.Errorf("release %d files: %w", len(names), err))
	}
	return nil
}

// StaleMedia returns at most limit reservations made before the time, oldest first.
//
// StaleMedia returns an error of the kind Unavailable when the database cannot be read, and
// Internal otherwise.
func (s *Store) StaleMedia(ctx context.Context, before time.Time, limit int) ([]georeport.MediaReservation, error) {
	const op = "sqlite: stale media"

	if err := s.beginRead(ctx); err != nil {
		return nil, translate(op, err)
	}
	defer s.endRead()
	rows, err := s.readers.QueryContext(ctx,
		`SELECT name, url, reserved_at FROM media_reservations WHERE reserved_at < ? ORDER BY reserved_at, name LIMIT ?`,
		before.Unix(), limit)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	var out []georeport.MediaReservation
	for rows.Next() {
		var m georeport.MediaReservation
		var reserved int64
		if err := rows.Scan(&m.Name, &m.URL, &reserved); err != nil {
			return nil, translate(op, err)
		}
		m.Reserved = time.Unix(reserved, 0).UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// MediaInUse returns the URLs that a stored request lists as its media_url or in its
// media_urls.
//
// NOTE: No index covers media_urls, so MediaInUse reads every request with media. It serves
// the cleanup of files after crashes, which checks few URLs and seldom runs.
//
// MediaInUse returns an error of the kind Unavailable when the database cannot be read, and
// Internal otherwise.
func (s *Store) MediaInUse(ctx context.Context, urls []string) (map[string]bool, error) {
	const op = "sqlite: media in use"

	used := make(map[string]bool)
	if len(urls) == 0 {
		return used, nil
	}
	args := make([]any, 0, 2*len(urls))
	for _, u := range urls {
		args = append(args, u)
	}
	for _, u := range urls {
		args = append(args, u)
	}
	list := placeholders(len(urls))
	query := `SELECT media_url FROM requests WHERE media_url IN (` + list + `)
		UNION
		SELECT each.value FROM requests, json_each(requests.media_urls) AS each
		WHERE requests.media_urls IS NOT NULL AND each.value IN (` + list + `)`
	if err := s.beginRead(ctx); err != nil {
		return nil, translate(op, fmt.Errorf("look up %d URLs: %w", len(urls), err))
	}
	defer s.endRead()
	rows, err := s.readers.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(op, fmt.Errorf("look up %d URLs: %w", len(urls), err))
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, translate(op, err)
		}
		used[strings.Clone(u)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return used, nil
}
