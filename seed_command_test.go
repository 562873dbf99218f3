package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/sqlite"
)

// runCommand runs a command of open311, such as seedCommand, with args and an empty
// environment, and returns its output.
func runCommand(command func(context.Context, environment, []string) error, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	env := environment{getenv: func(string) string { return "" }, stdout: &out, stderr: &errOut}
	err = command(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

// runSeed runs open311 seed with args and returns its output.
func runSeed(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runCommand(seedCommand, args...)
}

// openSeeded opens the SQLite store at path and returns its requests of the ten years before
// 2026-03-05, at most 100,000.
func openSeeded(t *testing.T, path string) []*georeport.Request {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	page, err := store.FindRequests(ctx, &georeport.Query{
		RequestedFrom: mustParse(t, "2016-01-01"), RequestedTo: mustParse(t, "2026-03-05"), Limit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	return page.Requests
}

func TestSeedCommandStore(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	for _, db := range []string{a, b} {
		out, _, err := runSeed(t, "-db", db, "-n", "2500", "-seed", "9", "-now", "2026-03-05", "-batch", "1000")
		if err != nil {
			t.Fatalf("seed -db %s: %v", db, err)
		}
		if !strings.Contains(out, "seeded 2500 requests") {
			t.Errorf("seed output = %q, want it to say it seeded 2500 requests", out)
		}
	}

	first, second := openSeeded(t, a), openSeeded(t, b)
	if len(first) != 2500 {
		t.Errorf("store has %d requests, want 2500", len(first))
	}
	if len(second) != len(first) {
		t.Fatalf("two runs with -seed 9 stored %d and %d requests", len(first), len(second))
	}
	for i := range first {
		if first[i].ID != second[i].ID || first[i].Description != second[i].Description {
			t.Fatalf("request %d differs between two runs with -seed 9: %s and %s", i, first[i].ID, second[i].ID)
		}
	}
}

// TestSeedCommandAgain checks that a seed run again into the same store reports that its
// requests replaced the stored ones, because the same -seed generates the same ids.
func TestSeedCommandAgain(t *testing.T) {
	db := filepath.Join(t.TempDir(), "city.db")
	args := []string{"-db", db, "-n", "300", "-seed", "9", "-now", "2026-03-05", "-batch", "100"}
	for _, want := range []string{"seeded 300 requests (", "seeded 300 requests, each replacing a stored request with the same id ("} {
		out, _, err := runSeed(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, want) {
			t.Errorf("seed output = %q, want it to contain %q", out, want)
		}
		if !strings.Contains(out, db+" contains 300 requests") {
			t.Errorf("seed output = %q, want it to give the store's 300 requests", out)
		}
	}
	if got := len(openSeeded(t, db)); got != 300 {
		t.Errorf("store has %d requests after two seeds, want 300", got)
	}
}

func TestSeedCommandJSON(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "requests.json")
	if _, _, err := runSeed(t, "-json", file, "-n", "50", "-now", "2026-03-05T08:00:00Z"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(data), `"service_request_id"`); got != 50 {
		t.Errorf("the file has %d requests, want 50", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "open311.db")); err == nil {
		t.Error("seed -json also created a store")
	}
}

func TestSeedCommandBadFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
		wantErr    string
	}{
		{name: "no count", args: []string{}, wantStderr: "-n is required"},
		{name: "zero count", args: []string{"-n", "0"}, wantStderr: "-n 0 is not valid"},
		{name: "json in a missing folder", args: []string{"-n", "5", "-json", "/nonexistent-folder/r.json"}, wantStderr: "open311 seed: -json /nonexistent-folder/r.json: the folder /nonexistent-folder does not exist; create it"},
		{name: "negative count", args: []string{"-n", "-5"}, wantStderr: "-n -5 is not valid"},
		{name: "count not a number", args: []string{"-n", "abc"}, wantStderr: `"abc" is not a whole number such as 5000`},
		{name: "seed not a number", args: []string{"-n", "5", "-seed", "-1"}, wantStderr: `"-1" is not a whole number from 0 to 18446744073709551615`},
		{name: "zero batch", args: []string{"-n", "5", "-batch", "0"}, wantStderr: "-batch 0 is not valid"},
		{name: "huge batch", args: []string{"-n", "5", "-batch", "1000000000"}, wantStderr: "-batch 1000000000 is not valid; use 1 to 100000"},
		{name: "bad now", args: []string{"-n", "5", "-now", "yesterday"}, wantStderr: `open311 seed: -now "yesterday" is not a datetime`},
		{name: "argument", args: []string{"-n", "5", "extra"}, wantStderr: `unexpected argument "extra"`},
		{name: "count beyond the disk", args: []string{"-n", "99999999999999"}, wantStderr: "-n 99999999999999 needs about 200.0 PB for -db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-db", filepath.Join(t.TempDir(), "x.db")}, tt.args...)
			_, stderr, err := runSeed(t, args...)
			if err == nil {
				t.Fatalf("seed %v succeeded, want an error", tt.args)
			}
			if tt.wantStderr != "" && !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("seed %v printed %q, want %q", tt.args, stderr, tt.wantStderr)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("seed %v = %v, want %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestSeedCommandHidesProfileFlag(t *testing.T) {
	_, stderr, _ := runSeed(t, "-h")
	if !strings.Contains(stderr, "-seed number") {
		t.Errorf("seed -h printed no -seed flag:\n%s", stderr)
	}
	if strings.Contains(stderr, "cpuprofile") {
		t.Errorf("seed -h lists the developers' -cpuprofile flag:\n%s", stderr)
	}
}

func mustParse(t *testing.T, date string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestSeedSpaceCheck checks the estimate against a file system of 1 MB free: 400 requests
// fit, 600 do not, and a JSON file is checked like a store.
func TestSeedSpaceCheck(t *testing.T) {
	saved := diskFree
	t.Cleanup(func() { diskFree = saved })
	diskFree = func(string) (uint64, bool) { return 1_000_000, true }

	if err := checkSeedSpace("-db", "/tmp/x.db", 400); err != nil {
		t.Errorf("400 requests in 1 MB: %v", err)
	}
	err := checkSeedSpace("-json", "/tmp/x.json", 600)
	if err == nil {
		t.Fatal("600 requests in 1 MB: no error")
	}
	for _, want := range []string{"-n 600", "1.2 MB", "-json /tmp/x.json", "1.0 MB free"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if err := checkSeedSpace("-db", "mongodb://127.0.0.1/open311", 1_000_000_000); err != nil {
		t.Errorf("a MongoDB store is checked: %v", err)
	}
	diskFree = func(string) (uint64, bool) { return 0, false }
	if err := checkSeedSpace("-db", "/tmp/x.db", 1_000_000_000); err != nil {
		t.Errorf("unknown free space: %v", err)
	}
}

// TestSeedWarnsOfUnknownJurisdiction seeds a store without a saved catalog for a
// jurisdiction that the demo catalog lacks, which succeeds with a warning, and for one that
// it has, which succeeds without.
func TestSeedWarnsOfUnknownJurisdiction(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	_, stderr, err := runSeed(t, "-db", db, "-n", "5", "-jurisdiction", "nope")
	if err != nil {
		t.Fatalf("seed -jurisdiction nope: %v", err)
	}
	if !strings.Contains(stderr, `demo catalog has no jurisdiction "nope"; until a catalog with it is saved`) {
		t.Errorf("seed -jurisdiction nope printed %q, want a warning about the catalog", stderr)
	}

	id := georeport.DemoCatalog().Jurisdictions[0].ID
	_, stderr, err = runSeed(t, "-db", db, "-n", "5", "-jurisdiction", id)
	if err != nil {
		t.Fatalf("seed -jurisdiction %s: %v", id, err)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("seed -jurisdiction %s printed %q, want no warning", id, stderr)
	}
}

// TestSeedCommandJSONKeepsExistingFile checks that seed -json rejects a file that exists,
// which may contain the user's data, and leaves it as it was.
func TestSeedCommandJSONKeepsExistingFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "requests.json")
	const data = `[{"service_request_id": "mine"}]`
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runSeed(t, "-json", file, "-n", "5", "-now", "2026-03-05T08:00:00Z")
	if err != (exitError{2}) {
		t.Errorf("seed -json over an existing file: err = %v, want exit status 2", err)
	}
	if want := "open311 seed: -json " + file + ": the file exists"; !strings.Contains(stderr, want) {
		t.Errorf("seed -json over an existing file printed %q, want %q", stderr, want)
	}
	if got, _ := os.ReadFile(file); string(got) != data {
		t.Errorf("the existing file now contains %.60q, want it unchanged", got)
	}
}

// TestSeedCommandJSONRemovesPartialFile checks that an interrupted seed -json leaves no
// partial file for import to read.
func TestSeedCommandJSONRemovesPartialFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "requests.json")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr strings.Builder
	env := environment{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: &stderr}
	err := seedCommand(ctx, env, []string{"-json", file, "-n", "100000", "-now", "2026-03-05T08:00:00Z"})
	if err != (exitError{1}) {
		t.Errorf("interrupted seed -json: err = %v, want exit status 1", err)
	}
	if want := "interrupted; the partly written file was removed"; !strings.Contains(stderr.String(), want) {
		t.Errorf("interrupted seed -json printed %q, want %q", stderr.String(), want)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("interrupted seed -json left %s (stat: %v)", file, err)
	}
}

// TestSeedCommandJSONToDevice checks that seed -json writes to a path that is not a regular
// file, such as a device, and then prints its summary on stderr, not among the JSON.
func TestSeedCommandJSONToDevice(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no device file to write to by path")
	}
	stdout, stderr, err := runSeed(t, "-json", os.DevNull, "-n", "5", "-now", "2026-03-05T08:00:00Z")
	if err != nil {
		t.Fatalf("seed -json %s: %v (stderr %q)", os.DevNull, err, stderr)
	}
	if stdout != "" {
		t.Errorf("seed -json %s printed %q on stdout, want nothing", os.DevNull, stdout)
	}
	if want := os.DevNull + ": wrote 5 requests"; !strings.Contains(stderr, want) {
		t.Errorf("seed -json %s printed %q on stderr, want %q", os.DevNull, stderr, want)
	}
}

// TestSeedCommandJSONFolder checks that a folder given as -json gets a message naming a file
// in it.
func TestSeedCommandJSONFolder(t *testing.T) {
	dir := t.TempDir()
	_, stderr, err := runSeed(t, "-json", dir, "-n", "5")
	if err != (exitError{2}) {
		t.Errorf("seed -json FOLDER: err = %v, want exit status 2", err)
	}
	if want := "-json " + dir + " is a folder; name a new file in it"; !strings.Contains(stderr, want) {
		t.Errorf("seed -json FOLDER printed %q, want %q", stderr, want)
	}
}

// TestFlagErrorPointsToHelp checks that a bad flag value gets its error and a pointer to -h,
// without the whole flag list that would scroll the error out of view.
func TestFlagErrorPointsToHelp(t *testing.T) {
	_, stderr, err := runSeed(t, "-db", filepath.Join(t.TempDir(), "x.db"), "-batch", "7", "-n", "abc")
	if err != (exitError{2}) {
		t.Errorf("seed -n abc: err = %v, want exit status 2", err)
	}
	if want := `invalid value "abc" for flag -n`; !strings.Contains(stderr, want) {
		t.Errorf("seed -n abc printed %q, want %q", stderr, want)
	}
	if want := "run open311 seed -h for the flags and their defaults"; !strings.Contains(stderr, want) {
		t.Errorf("seed -n abc printed %q, want %q", stderr, want)
	}
	if strings.Contains(stderr, "-batch") {
		t.Errorf("seed -n abc printed the flag list:\n%s", stderr)
	}
}

// TestHelpShowsDefaults checks that -h lists the compiled defaults, not the values that the
// same command line gave before it.
func TestHelpShowsDefaults(t *testing.T) {
	_, stderr, err := runSeed(t, "-db", "mine.db", "-batch", "7", "-h")
	if err != (exitError{0}) {
		t.Errorf("seed -h: err = %v, want exit status 0", err)
	}
	for _, want := range []string{`(default "open311.db")`, "(default 5000)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("seed -h printed %q, want %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "mine.db") {
		t.Errorf("seed -h shows the -db value of its command line as a default:\n%s", stderr)
	}
}

// TestSeedRequiresJurisdiction checks that seed, like import, exits with status 2 before it
// writes when the saved catalog has several jurisdictions and -jurisdiction is missing or
// names another one.
func TestSeedRequiresJurisdiction(t *testing.T) {
	db, _ := storeOfTwoJurisdictions(t)

	for _, args := range [][]string{{}, {"-jurisdiction", "west.test"}} {
		_, errOut, err := runCommand(seedCommand, append([]string{"-db", db, "-n", "10"}, args...)...)
		if err != (exitError{2}) || !strings.Contains(errOut, "open311 seed: ") || !strings.Contains(errOut, "north.test, south.test") {
			t.Errorf("seed %v: err = %v, errors %q, want exit status 2 naming the jurisdictions", args, err, errOut)
		}
	}
	if n := countStoredRequests(t, db); n != 0 {
		t.Errorf("the rejected seeds stored %d requests, want 0", n)
	}
	if _, errOut, err := runCommand(seedCommand, "-db", db, "-n", "10", "-jurisdiction", "south.test"); err != nil {
		t.Errorf("seed -jurisdiction south.test: %v (%s)", err, errOut)
	}
}
