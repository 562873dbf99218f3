package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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

// TestLargeImportPausesWordMerging imports a batch of bulkImportRequests requests and checks
// that FTS5's automerge is 0 until the store closes and wordsAutomerge after, and that
// search words work in both states.
func TestLargeImportPausesWordMerging(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bulk.db")
	s := openFile(t, path)
	automerge := func(s *Store) string {
		t.Helper()
		var v string
		err := s.readers.QueryRowContext(ctx, `SELECT v FROM request_words_config WHERE k = 'automerge'`).Scan(&v)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	countWord := func(s *Store, word string) int {
		t.Helper()
		page, err := s.FindRequests(ctx, &georeport.Query{Words: []string{word}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return page.Total
	}

	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	batch := make([]georeport.Request, bulkImportRequests)
	for i := range batch {
		batch[i] = georeport.Request{ID: fmt.Sprintf("bulk-%d", i), Status: georeport.StatusOpen, Requested: at, Updated: at,
			Description: fmt.Sprintf("Kuoppa numero %d", i)}
	}
	for range 3 {
		if _, err := s.ImportRequests(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if got := automerge(s); got != "0" {
		t.Errorf("during a large import, automerge = %s, want 0", got)
	}
	if got := countWord(s, "kuoppa"); got != bulkImportRequests {
		t.Errorf("during a large import, %d requests have the word, want %d", got, bulkImportRequests)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openFile(t, path)
	if got, want := automerge(s), strconv.Itoa(wordsAutomerge); got != want {
		t.Errorf("after the import closed, automerge = %s, want %s", got, want)
	}
	if got := countWord(s, "kuoppa"); got != bulkImportRequests {
		t.Errorf("after the import, %d requests have the word, want %d", got, bulkImportRequests)
	}
	small := []georeport.Request{{ID: "small", Status: georeport.StatusOpen, Requested: at, Updated: at, Description: "Kuoppa"}}
	if _, err := s.ImportRequests(ctx, small); err != nil {
		t.Fatal(err)
	}
	if got, want := automerge(s), strconv.Itoa(wordsAutomerge); got != want {
		t.Errorf("after a small import, automerge = %s, want %s", got, want)
	}
}

// TestOpenSetsWordsMerging checks that Open sets the automerge option of the search words to
// wordsAutomerge in a new store and in one with FTS5's default, and leaves the 0 of an import
// in progress.
func TestOpenSetsWordsMerging(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "merging.db")
	automerge := func(s *Store) string {
		t.Helper()
		var value string
		err := s.readers.QueryRowContext(ctx, `SELECT coalesce((SELECT v FROM request_words_config WHERE k = 'automerge'), 'default')`).Scan(&value)
		if err != nil {
			t.Fatal(err)
		}
		return value
	}
	want := strconv.Itoa(wordsAutomerge)

	s := openFile(t, path)
	if got := automerge(s); got != want {
		t.Errorf("in a new store, automerge = %s, want %s", got, want)
	}
	for _, stored := range []struct{ sql, want string }{
		{`DELETE FROM request_words_config WHERE k = 'automerge'`, want}, // FTS5's default
		{setAutomergeSQL + "4)", want},
		{setAutomergeSQL + "0)", "0"},
	} {
		if _, err := s.writer.ExecContext(ctx, stored.sql); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openFile(t, path)
		if got := automerge(s); got != stored.want {
			t.Errorf("after %s, Open left automerge = %s, want %s", stored.sql, got, stored.want)
		}
	}
}

// openFile opens a store on the file at path and closes it when the test ends, unless the
// test has closed it.
func openFile(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
