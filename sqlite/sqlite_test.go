package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/sqlite"
	"github.com/open311-to-go/open311/storetest"
)

func TestStoreFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) georeport.Store {
		return openStore(t, filepath.Join(t.TempDir(), "open311.db"))
	})
}

func TestStoreMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) georeport.Store {
		return openStore(t, sqlite.Memory)
	})
}

// openStore opens a store at path and closes it when the test ends.
func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()

	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	return s
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "open311.db")

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	r := georeport.Request{ID: "sr-1", Title: "Töhryjä", Location: &georeport.Point{Lat: 60.17, Long: 24.94}, Requested: time.Unix(1709625600, 0)}
	if err := s.CreateRequest(ctx, &r); err != nil {
		t.Fatalf("CreateRequest error = %v", err)
	}
	key := georeport.Key{Name: "app", Role: georeport.RoleClient, Hash: georeport.HashKey("secret"), Active: true}
	if err := s.CreateKey(ctx, &key); err != nil {
		t.Fatalf("CreateKey error = %v", err)
	}
	if err := s.SaveCatalog(ctx, []byte(`{"default_locale":"fi"}`)); err != nil {
		t.Fatalf("SaveCatalog error = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}

	reopened := openStore(t, path)
	if _, err := reopened.Request(ctx, "sr-1"); err != nil {
		t.Errorf("Request(%q) after reopening error = %v", "sr-1", err)
	}
	q := georeport.Query{Words: []string{"tohryja"}, Circle: &georeport.Circle{Center: *r.Location, Radius: 10}}
	page, err := reopened.FindRequests(ctx, &q)
	if err != nil {
		t.Fatalf("FindRequests after reopening error = %v", err)
	}
	if page.Total != 1 {
		t.Errorf("FindRequests by word and circle after reopening Total = %d, want 1", page.Total)
	}
	if _, err := reopened.KeyByHash(ctx, key.Hash); err != nil {
		t.Errorf("KeyByHash after reopening error = %v", err)
	}
	if data, err := reopened.Catalog(ctx); err != nil || string(data) != `{"default_locale":"fi"}` {
		t.Errorf("Catalog() after reopening = %q, %v, want the saved catalog", data, err)
	}
}

func TestMemoryStoresAreSeparate(t *testing.T) {
	ctx := context.Background()
	first := openStore(t, sqlite.Memory)
	second := openStore(t, sqlite.Memory)

	if err := first.CreateRequest(ctx, &georeport.Request{ID: "sr-1"}); err != nil {
		t.Fatalf("CreateRequest in the first store error = %v", err)
	}

	_, err := second.Request(ctx, "sr-1")
	if georeport.KindOf(err) != georeport.NotFound {
		t.Errorf("Request(%q) in the second store error = %v, want kind not found", "sr-1", err)
	}
	if err := second.CreateRequest(ctx, &georeport.Request{ID: "sr-1"}); err != nil {
		t.Errorf("CreateRequest of the same id in the second store error = %v", err)
	}
}

func TestMemoryStoreReadsItsWrites(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, sqlite.Memory)

	// More reads at once than the reader pool has connections, so that every reader
	// connection opens and must find the same in-memory database as the writer.
	if err := s.CreateRequest(ctx, &georeport.Request{ID: "sr-1"}); err != nil {
		t.Fatalf("CreateRequest error = %v", err)
	}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := s.Request(ctx, "sr-1"); err != nil {
				t.Errorf("Request(%q) error = %v", "sr-1", err)
			}
		})
	}
	wg.Wait()
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	notADatabase := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notADatabase, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	raw, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	tests := []struct {
		name     string
		path     string
		wantKind georeport.Kind
		wantText string
	}{
		{name: "empty path", path: "", wantKind: georeport.Internal, wantText: "path is empty"},
		{name: "directory", path: dir, wantKind: georeport.Unavailable, wantText: "open"},
		{name: "missing directory", path: filepath.Join(dir, "missing", "open311.db"), wantKind: georeport.Unavailable, wantText: "missing does not exist; create it"},
		{name: "not a database", path: notADatabase, wantKind: georeport.Internal, wantText: "not a database"},
		{name: "newer schema", path: newer, wantKind: georeport.Internal, wantText: "version 99 is newer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(ctx, tc.path, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) error = nil, want kind %v", tc.path, tc.wantKind)
			}
			var e *georeport.Error
			if !errors.As(err, &e) {
				t.Fatalf("Open(%q) error = %v (%T), want a *georeport.Error", tc.path, err, err)
			}
			if e.Kind != tc.wantKind {
				t.Errorf("Open(%q) error kind = %v, want %v (error %v)", tc.path, e.Kind, tc.wantKind, err)
			}
			if e.Op != "sqlite: open" {
				t.Errorf("Open(%q) error Op = %q, want %q", tc.path, e.Op, "sqlite: open")
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Open(%q) error = %q, want it to contain %q", tc.path, err, tc.wantText)
			}
		})
	}
}

func TestOpenTwiceKeepsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "open311.db")
	first := openStore(t, path)
	second := openStore(t, path)

	ctx := context.Background()
	if err := first.CreateRequest(ctx, &georeport.Request{ID: "sr-1"}); err != nil {
		t.Fatalf("CreateRequest through the first store error = %v", err)
	}
	if _, err := second.Request(ctx, "sr-1"); err != nil {
		t.Errorf("Request(%q) through the second store error = %v", "sr-1", err)
	}
}

func TestErrorOps(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, sqlite.Memory)
	if err := s.CreateRequest(ctx, &georeport.Request{ID: "sr-1"}); err != nil {
		t.Fatalf("CreateRequest error = %v", err)
	}

	tests := []struct {
		name     string
		call     func() error
		wantKind georeport.Kind
		wantOp   string
	}{
		{
			name:     "create conflict",
			call:     func() error { return s.CreateRequest(ctx, &georeport.Request{ID: "sr-1"}) },
			wantKind: georeport.Conflict,
			wantOp:   "sqlite: create request",
		},
		{
			name:     "create without id",
			call:     func() error { return s.CreateRequest(ctx, &georeport.Request{}) },
			wantKind: georeport.Invalid,
			wantOp:   "sqlite: create request",
		},
		{
			name:     "import without id",
			call:     func() error { _, err := s.ImportRequests(ctx, []georeport.Request{{ID: "sr-2"}, {}}); return err },
			wantKind: georeport.Invalid,
			wantOp:   "sqlite: import requests",
		},
		{
			name:     "request not found",
			call:     func() error { _, err := s.Request(ctx, "sr-9"); return err },
			wantKind: georeport.NotFound,
			wantOp:   "sqlite: request",
		},
		{
			name:     "token not found",
			call:     func() error { _, err := s.RequestIDByToken(ctx, "nope"); return err },
			wantKind: georeport.NotFound,
			wantOp:   "sqlite: request id by token",
		},
		{
			name:     "catalog not found",
			call:     func() error { _, err := s.Catalog(ctx); return err },
			wantKind: georeport.NotFound,
			wantOp:   "sqlite: catalog",
		},
		{
			name:     "revoke unknown key",
			call:     func() error { return s.RevokeKey(ctx, "nope") },
			wantKind: georeport.NotFound,
			wantOp:   "sqlite: revoke key",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var e *georeport.Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want a *georeport.Error", err, err)
			}
			if e.Kind != tc.wantKind {
				t.Errorf("error kind = %v, want %v (error %v)", e.Kind, tc.wantKind, err)
			}
			if e.Op != tc.wantOp {
				t.Errorf("error Op = %q, want %q", e.Op, tc.wantOp)
			}
		})
	}

	// The failed import stored nothing, not even its first request.
	if _, err := s.Request(ctx, "sr-2"); georeport.KindOf(err) != georeport.NotFound {
		t.Errorf("Request(%q) after a failed import error = %v, want kind not found", "sr-2", err)
	}
}

// holdWriteLock takes the write lock of the database at path on a second connection, as
// another process would, and keeps it until the test ends.
func holdWriteLock(t *testing.T, path string) {
	t.Helper()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("BEGIN IMMEDIATE error = %v", err)
	}
	t.Cleanup(func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		other.Close()
	})
}

func TestLockedDatabaseIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "open311.db")
	s := openStore(t, path)

	holdWriteLock(t, path)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.CreateRequest(ctx, &georeport.Request{ID: "sr-1"})
	if georeport.KindOf(err) != georeport.Unavailable {
		t.Errorf("CreateRequest on a locked database error = %v, want kind unavailable", err)
	}
}

// TestQueuedCreatesFailTogether holds the write lock from another connection, and checks
// that creates which queue while the first batch waits for the lock fail with that batch,
// instead of waiting the busy timeout of 5 s once more each.
func TestQueuedCreatesFailTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "open311.db")
	s := openStore(t, path)
	holdWriteLock(t, path)

	started := time.Now()
	errs := make(chan error, 7)
	create := func(id string) {
		errs <- s.CreateRequest(context.Background(), &georeport.Request{ID: id})
	}
	go create("first")
	time.Sleep(time.Second)
	for i := range 6 {
		go create(fmt.Sprintf("queued-%d", i))
	}
	for range 7 {
		if err := <-errs; georeport.KindOf(err) != georeport.Unavailable {
			t.Errorf("CreateRequest on a locked database error = %v, want kind unavailable", err)
		}
	}
	// The first batch fails after the busy timeout of 5 s; a second wait would end after 10.
	if elapsed := time.Since(started); elapsed > 8*time.Second {
		t.Errorf("the creates took %v to fail, want the one busy timeout of the first batch", elapsed)
	}
}

// TestQueuedReservationsFailTogether holds the write lock from another connection and
// reserves media names at once, as the uploads of a burst of POSTs do. Each must fail within
// about one busy timeout, not one after another.
func TestQueuedReservationsFailTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "open311.db")
	s := openStore(t, path)
	holdWriteLock(t, path)

	started := time.Now()
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			m := georeport.MediaReservation{Name: fmt.Sprintf("photo-%d.jpg", i), URL: "http://example.test/m", Reserved: time.Now()}
			errs <- s.ReserveMedia(context.Background(), m)
		}()
	}
	for range 4 {
		if err := <-errs; georeport.KindOf(err) != georeport.Unavailable {
			t.Errorf("ReserveMedia on a locked database error = %v, want kind unavailable", err)
		}
	}
	if elapsed := time.Since(started); elapsed > 8*time.Second {
		t.Errorf("the reservations took %v to fail, want about the busy timeout of 5 s", elapsed)
	}
}

// crashEnv names the database file in which the child process of TestCreateSurvivesKill
// creates requests.
const crashEnv = "OPEN311_SQLITE_CRASH_DB"

// TestCreateSurvivesKill runs a child process that creates requests and prints each id
// once CreateRequest has returned, kills it with SIGKILL while it writes, and checks that
// every printed request is in the file. A killed process leaves its writes in the
// operating system's cache, so this test shows that a returned CreateRequest has committed.
// Surviving power loss also needs the sync to disk that synchronous=FULL makes, which
// a test cannot show.
func TestCreateSurvivesKill(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		createUntilKilled(path)
		return
	}

	path := filepath.Join(t.TempDir(), "open311.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCreateSurvivesKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child process: %v", err)
	}

	const wantCreated = 20
	var created []string
	lines := bufio.NewScanner(stdout)
	for len(created) < wantCreated && lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "created "); ok {
			created = append(created, id)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child process: %v", err)
	}
	cmd.Wait()
	if len(created) < wantCreated {
		t.Fatalf("child process created %d requests before it ended, want %d", len(created), wantCreated)
	}

	s := openStore(t, path)
	for _, id := range created {
		if _, err := s.Request(context.Background(), id); err != nil {
			t.Errorf("Request(%q) after the child process was killed error = %v", id, err)
		}
	}
}

// createUntilKilled creates requests in the file at path and prints each id after
// CreateRequest returns, until the parent test kills the process.
func createUntilKilled(path string) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		r := georeport.Request{ID: fmt.Sprintf("sr-%06d", i), Title: "Töhryjä", Location: &georeport.Point{Lat: 60.17, Long: 24.94}}
		if err := s.CreateRequest(ctx, &r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("created %s\n", r.ID)
	}
}
