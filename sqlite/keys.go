package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

const selectKeySQL = `SELECT name, role, hash, active, created_at FROM api_keys WHERE hash = ?`

// Catalog returns the catalog file that SaveCatalog saved last.
//
// Catalog returns an error of the kind NotFound before the first SaveCatalog, Unavailable
// when the database is locked past the busy timeout or cannot be read, and Internal
// otherwise.
func (s *Store) Catalog(ctx context.Context) ([]byte, error) {
	const op = "sqlite: catalog"

	var data []byte
	if err := s.beginRead(ctx); err != nil {
		return nil, translate(op, fmt.Errorf("read catalog: %w", err))
	}
	err := s.readers.QueryRowContext(ctx, `SELECT data FROM catalog WHERE id = 1`).Scan(&data)
	s.endRead()
	if errors.Is(err, sql.ErrNoRows) {
		return nil, newError(georeport.NotFound, op, "no catalog is saved")
	}
	if err != nil {
		return nil, translate(op, fmt.Errorf("read catalog: %w", err))
	}
	return data, nil
}

// SaveCatalog replaces the saved catalog file with data.
//
// SaveCatalog returns an error of the kind Unavailable when the database is locked past the
// busy timeout or cannot be written, and Internal otherwise.
func (s *Store) SaveCatalog(ctx context.Context, data []byte) error {
	const op = "sqlite: save catalog"

	if data == nil {
		data = []byte{}
	}
	_, err := s.writer.ExecContext(ctx,
		`INSERT INTO catalog (id, data, saved_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at`,
		data, time.Now().Unix())
	if err != nil {
		return translate(op, fmt.Errorf("write catalog of %d bytes: %w", len(data), err))
	}
	return nil
}

// CreateKey stores a new API key. Its creation time is stored in whole seconds.
//
// CreateKey returns an error of the kind Conflict when a key with the name or the hash
// exists, Invalid when the name or the hash is empty, Unavailable when the database is
// locked past the busy timeout or cannot be written, and Internal otherwise.
func (s *Store) CreateKey(ctx context.Context, k *georeport.Key) error {
	const op = "sqlite: create key"

	if k.Name == "" || k.Hash == "" {
		return newError(georeport.Invalid, op, "key name or hash is empty")
	}
	_, err := s.writer.ExecContext(ctx,
		`INSERT INTO api_keys (name, role, hash, active, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.Name, k.Role, k.Hash, k.Active, timeColumn(k.Created))
	if err != nil {
		return translate(op, fmt.Errorf("insert key %q: %w", k.Name, err))
	}
	return nil
}

// KeyByHash returns the key whose hash is hash, active or revoked.
//
// KeyByHash returns an error of the kind NotFound when no key has the hash, Unavailable
// when the database is locked past the busy timeout or cannot be read, and Internal
// otherwise.
func (s *Store) KeyByHash(ctx context.Context, hash string) (*georeport.Key, error) {
	const op = "sqlite: key by hash"

	if err := s.beginRead(ctx); err != nil {
		return nil, translate(op, fmt.Errorf("read key: %w", err))
	}
	k, err := scanKey(s.selectKey.QueryRowContext(ctx, hash))
	s.endRead()
	if errors.Is(err, sql.ErrNoRows) {
		// The hash identifies a secret, so the message leaves it out.
		return nil, newError(georeport.NotFound, op, "no key has the hash")
	}
	if err != nil {
		return nil, translate(op, fmt.Errorf("read key: %w", err))
	}
	return k, nil
}

// Keys returns every key, revoked ones included, ordered by name.
//
// Keys returns an error of the kind Unavailable when the database is locked past the busy
// timeout or cannot be read, and Internal otherwise.
func (s *Store) Keys(ctx context.Context) ([]georeport.Key, error) {
	const op = "sqlite: keys"

	if err := s.beginRead(ctx); err != nil {
		return nil, translate(op, fmt.Errorf("select keys: %w", err))
	}
	defer s.endRead()
	rows, err := s.readers.QueryContext(ctx, `SELECT name, role, hash, active, created_at FROM api_keys ORDER BY name`)
	if err != nil {
		return nil, translate(op, fmt.Errorf("select keys: %w", err))
	}
	defer rows.Close()

	var keys []georeport.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, translate(op, fmt.Errorf("read key: %w", err))
		}
		keys = append(keys, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, fmt.Errorf("select keys: %w", err))
	}
	return keys, nil
}

// RevokeKey marks the key with the name as revoked. Revoking a revoked key changes
// nothing and returns nil.
//
// RevokeKey returns an error of the kind NotFound when no key has the name, Unavailable
// when the database is locked past the busy timeout or cannot be written, and Internal
// otherwise.
func (s *Store) RevokeKey(ctx context.Context, name string) error {
	const op = "sqlite: revoke key"

	result, err := s.writer.ExecContext(ctx, `UPDATE api_keys SET active = 0 WHERE name = ?`, name)
	if err != nil {
		return translate(op, fmt.Errorf("update key %q: %w", name, err))
	}
	n, err := result.RowsAffected()
	if err != nil {
		return translate(op, fmt.Errorf("update key %q: %w", name, err))
	}
	if n == 0 {
		return newError(georeport.NotFound, op, "no key has the name %q", name)
	}
	return nil
}

func scanKey(row scanner) (*georeport.Key, error) {
	var k georeport.Key
	var created sql.NullInt64
	if err := row.Scan(&k.Name, &k.Role, &k.Hash, &k.Active, &created); err != nil {
		return nil, err
	}
	k.Created = timeFromColumn(created)
	return &k, nil
}
