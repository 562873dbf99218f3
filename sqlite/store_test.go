package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/open311-to-go/open311/georeport"
)

func TestConnectionSettings(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "open311.db"), nil)
	if err != nil {
		t.Fatalf("Open error = %v", err)
	}
	defer s.Close()

	writer := []struct {
		pragma string
		want   string
	}{
		{pragma: "journal_mode", want: "wal"},
		{pragma: "synchronous", want: "2"}, // FULL
		{pragma: "foreign_keys", want: "1"},
		{pragma: "busy_timeout", want: "5000"},
		{pragma: "user_version", want: fmt.Sprint(schemaVersion)},
	}
	for _, tc := range writer {
		var got string
		if err := s.writer.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s on the writer error = %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s on the writer = %q, want %q", tc.pragma, got, tc.want)
		}
	}

	var busy string
	if err := s.readers.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatalf("PRAGMA busy_timeout on a reader error = %v", err)
	}
	if busy != "5000" {
		t.Errorf("PRAGMA busy_timeout on a reader = %q, want %q", busy, "5000")
	}
	if _, err := s.readers.ExecContext(ctx, "DELETE FROM api_keys"); err == nil {
		t.Errorf("DELETE on a reader error = nil, want a read-only error")
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a?b#c%20d&mode=memory.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	defer s.Close()

	if err := s.CreateRequest(ctx, &georeport.Request{ID: "sr-1"}); err != nil {
		t.Fatalf("CreateRequest error = %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file %q: %v", path, err)
	}
}
