package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open311-to-go/open311/sqlite"
)

// runCluster runs open311 cluster with args and returns its output.
func runCluster(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runCommand(clusterCommand, args...)
}

func TestClusterCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-db", filepath.Join(dir, "missing.db")}, "does not exist"},
		{[]string{"-db", dir}, "is a folder"},
		{[]string{"-db", "mongodb://127.0.0.1/open311"}, "is not a SQLite file"},
		{[]string{"-db", ":memory:"}, "is not a SQLite file"},
		{[]string{"-db", "x.db", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		_, stderr, err := runCluster(t, c.args...)
		if exit, ok := err.(exitError); !ok || exit.code != 2 {
			t.Errorf("cluster %v: error %v, want exit status 2", c.args, err)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("cluster %v: output %q, want it to contain %q", c.args, stderr, c.want)
		}
	}

	empty := filepath.Join(dir, "empty.db")
	notDatabase := filepath.Join(dir, "notes.db")
	foreign := filepath.Join(dir, "foreign.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notDatabase, []byte(strings.Repeat("not a database\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	execSQL(t, foreign, "CREATE TABLE photos (name TEXT)")
	// Another program's file with a table named requests and a schema version.
	lookalike := filepath.Join(dir, "lookalike.db")
	execSQL(t, lookalike, "CREATE TABLE requests (id INTEGER PRIMARY KEY, body TEXT); PRAGMA user_version = 2")
	newer := filepath.Join(dir, "newer.db")
	if _, _, err := runSeed(t, "-db", newer, "-n", "1"); err != nil {
		t.Fatal(err)
	}
	execSQL(t, newer, "PRAGMA user_version = 99")
	for path, want := range map[string]string{
		"":          "-db is empty",
		empty:       "is not a store of open311",
		notDatabase: "is not a SQLite database",
		foreign:     "is not a store of open311",
		lookalike:   "is not a store of open311",
		newer:       "has schema version 99, newer than version",
	} {
		_, stderr, err := runCluster(t, "-db", path)
		if exit, ok := err.(exitError); !ok || exit.code != 2 {
			t.Errorf("cluster -db %q: error %v, want exit status 2", path, err)
		}
		if !strings.Contains(stderr, want) {
			t.Errorf("cluster -db %q: output %q, want it to contain %q", path, stderr, want)
		}
	}
	if info, err := os.Stat(empty); err != nil || info.Size() != 0 {
		t.Errorf("cluster changed the empty file: %v, %v", info, err)
	}
	if version, _, err := sqlite.InspectFile(context.Background(), lookalike); err != nil || version != 2 {
		t.Errorf("cluster changed the schema version of another program's file to %d (%v)", version, err)
	}
	if _, err := os.Stat(lookalike + "-wal"); err == nil {
		t.Errorf("cluster switched another program's file to WAL mode")
	}

	db := filepath.Join(dir, "small.db")
	if _, _, err := runSeed(t, "-db", db, "-n", "10", "-now", "2026-03-05"); err != nil {
		t.Fatal(err)
	}

	// A store of schema version 4 has no layout number, and cluster prints that it upgrades it.
	execSQL(t, db, "ALTER TABLE request_changes DROP COLUMN layout; PRAGMA user_version = 4")
	out, stderr, err := runCluster(t, "-db", db)
	if err != nil || !strings.Contains(out, "clustered 10 requests") {
		t.Fatalf("cluster of a version 4 store: %v, %q, %q", err, out, stderr)
	}
	if !strings.Contains(stderr, "upgrading the store's schema from version 4 to") {
		t.Errorf("cluster of a version 4 store does not say that it upgrades it: %q", stderr)
	}
	for _, part := range []string{"rows ", "full-text index ", "commit and checkpoint ", "total "} {
		if !strings.Contains(out, part) {
			t.Errorf("cluster summary %q lacks the part %q", out, part)
		}
	}
	if !strings.Contains(stderr, "at 0s: ") {
		t.Errorf("cluster progress %q does not give the time of its first step as \"at 0s: \"", stderr)
	}

	// Another writer holds the lock past the busy timeout.
	locker, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = runCluster(t, "-db", db)
	if exit, ok := err.(exitError); !ok || exit.code != 1 || !strings.Contains(stderr, "locked by another writer") {
		t.Errorf("cluster of a locked store: %v, %q; want exit status 1 and that it is locked", err, stderr)
	}
	conn.ExecContext(context.Background(), "ROLLBACK")
	conn.Close()
	saved := diskFree
	t.Cleanup(func() { diskFree = saved })
	diskFree = func(string) (uint64, bool) { return 1000, true }
	_, stderr, err = runCluster(t, "-db", db)
	if exit, ok := err.(exitError); !ok || exit.code != 2 || !strings.Contains(stderr, "twice its size") {
		t.Errorf("cluster with 1000 bytes free: %v, %q; want exit status 2 and the space it needs", err, stderr)
	}
}

// execSQL runs statements on the SQLite file at path, which it creates when it is missing.
func execSQL(t *testing.T, path, statements string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(statements); err != nil {
		t.Fatal(err)
	}
}

// TestClusterBesideServer clusters the store of a running server, and requires the server's
// circle, box and list pages and a request by id to read the same afterwards.
func TestClusterBesideServer(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "open311.db")
	now := time.Now().UTC()
	if _, _, err := runSeed(t, "-db", db, "-n", "3000", "-now", now.Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	from, to := now.AddDate(0, 0, -60).Format(time.DateOnly), now.Format(time.DateOnly)
	_, base, output := startServer(t, dir, "-db", db)
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %s", path, resp.Status, body)
		}
		return string(body)
	}
	paths := []string{
		"/open311/v2/requests.json?lat=60.17&long=24.94&radius=1000&page_size=100",
		"/open311/v2/requests.json?bbox=24.90,60.15,24.98,60.19&start_date=" + from + "&end_date=" + to + "&page_size=100",
		"/open311/v2/requests.xml?start_date=" + from + "&end_date=" + to + "&page_size=50&extensions=true",
	}
	before := make([]string, len(paths))
	for i, path := range paths {
		before[i] = get(path)
		if !strings.Contains(before[i], "service_request_id") {
			t.Fatalf("GET %s has no requests: %s", path, before[i])
		}
	}
	var page []struct {
		ID string `json:"service_request_id"`
	}
	if err := json.Unmarshal([]byte(before[0]), &page); err != nil {
		t.Fatal(err)
	}
	paths = append(paths, "/open311/v2/requests/"+page[len(page)-1].ID+".json?extensions=true")
	before = append(before, get(paths[len(paths)-1]))

	out, _, err := runCluster(t, "-db", db)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "clustered 3000 requests") {
		t.Errorf("cluster output %q, want it to count 3000 requests", out)
	}

	// The server looks for other processes' writes every second.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(output.String(), "renumbered") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(output.String(), "renumbered") {
		t.Fatalf("the server did not log that it loaded its index again; output:\n%s", output.String())
	}
	for i, path := range paths {
		if after := get(path); after != before[i] {
			t.Errorf("GET %s changed after cluster:\nbefore %.300s\nafter  %.300s", path, before[i], after)
		}
	}
}

func TestSuggestClusterAfterLargeWrites(t *testing.T) {
	cases := []struct {
		db            string
		added, stored int
		want          bool
	}{
		{"city.db", clusterHintRequests - 1, -1, false},
		{"city.db", clusterHintRequests, -1, true},
		{"city.db", 20_000, 120_000, true},  // a sixth of a large store
		{"city.db", 10_000, 120_000, false}, // a twelfth
		{"city.db", 20_000, 60_000, false},  // a small store
		{"mongodb://127.0.0.1/open311", 1_000_000, 1_000_000, false},
		{":memory:", 1_000_000, 1_000_000, false},
	}
	for _, c := range cases {
		var errOut bytes.Buffer
		env := environment{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: &errOut}
		suggestCluster(env, c.db, c.added, c.stored)
		if got := strings.HasPrefix(errOut.String(), "hint: run open311 cluster -db "+c.db+" "); got != c.want {
			t.Errorf("%d new requests in %s of %d: output %q, want a suggestion: %v", c.added, c.db, c.stored, errOut.String(), c.want)
		}
	}
}
