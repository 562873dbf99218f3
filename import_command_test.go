package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/sqlite"
)

// TestImportCountsRepeatedIDs checks that the import summary counts the records that
// replaced an earlier record of the file, so that its count of requests matches the store.
func TestImportCountsRepeatedIDs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "requests.json")
	records := `[
 {"service_request_id":"t-1","service_code":"171","status":"open","requested_datetime":"2026-11-01T10:00:00+02:00","lat":60.17,"long":24.94,"description":"Kuoppa tiellä"},
 {"service_request_id":"t-2","service_code":"171","status":"open","requested_datetime":"2026-11-02T10:00:00+02:00","lat":60.18,"long":24.95,"description":"Roskis täynnä"},
 {"service_request_id":"t-1","service_code":"171","status":"closed","requested_datetime":"2026-11-01T10:00:00+02:00","lat":60.17,"long":24.94,"description":"Kuoppa korjattu"}
]`
	if err := os.WriteFile(file, []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCommand(importFiles, "-db", filepath.Join(dir, "city.db"), file)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if want := "imported 3 records as 2 requests, because 1 record repeated the id of an earlier record"; !strings.Contains(out, want) {
		t.Errorf("import output = %q, want it to contain %q", out, want)
	}

	// A file without repeated ids keeps the short summary.
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(strings.ReplaceAll(records, `"t-1","service_code":"171","status":"closed"`, `"t-3","service_code":"171","status":"closed"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCommand(importFiles, "-db", filepath.Join(dir, "other.db"), other)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if want := "imported 3 requests, skipped 0 bad records"; !strings.Contains(out, want) {
		t.Errorf("import output = %q, want it to contain %q", out, want)
	}
}

// TestImportCountsReplacedRequests checks that the import summary counts the requests that
// replaced stored ones, so that a file imported again is not taken for new data.
func TestImportCountsReplacedRequests(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "city.db")
	record := func(id string) string {
		return `{"service_request_id":"` + id + `","service_code":"171","status":"open","requested_datetime":"2026-11-01T10:00:00+02:00","lat":60.17,"long":24.94}`
	}
	write := func(name string, ids ...string) string {
		t.Helper()
		var records []string
		for _, id := range ids {
			records = append(records, record(id))
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("["+strings.Join(records, ",\n")+"]"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first := write("first.json", "t-1", "t-2", "t-3")

	tests := []struct {
		name, file, want, stored string
	}{
		{"new store", first, "imported 3 requests, skipped 0 bad records", "3 requests"},
		{"same file again", first, "imported 3 requests, each replacing a stored request with the same id; skipped 0 bad records", "3 requests"},
		{"some stored", write("some.json", "t-3", "t-4"), "imported 2 requests, of which 1 replaced a stored request with the same id; skipped 0 bad records", "4 requests"},
		{"one stored", write("one.json", "t-1"), "imported 1 request, which replaced the stored request with the same id; skipped 0 bad records", "4 requests"},
		{"repeated and stored", write("repeated.json", "t-2", "t-5", "t-2"),
			"imported 3 records as 2 requests, because 1 record repeated the id of an earlier record and replaced it, and 1 of the 2 requests replaced a stored one with the same id; skipped 0 bad records", "5 requests"},
	}
	for _, tc := range tests {
		out, _, err := runCommand(importFiles, "-db", db, tc.file)
		if err != nil {
			t.Fatalf("%s: import: %v", tc.name, err)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: import output = %q, want it to contain %q", tc.name, out, tc.want)
		}
		if !strings.Contains(out, db+" contains "+tc.stored) {
			t.Errorf("%s: import output = %q, want it to give the store's %s", tc.name, out, tc.stored)
		}
	}
}

// TestImportMissingFileCreatesNoStore checks that a file that cannot be read fails before
// the store opens, so that no empty store file is left behind.
func TestImportMissingFileCreatesNoStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "city.db")
	_, errOut, err := runCommand(importFiles, "-db", db, filepath.Join(dir, "missing.json"))
	if err != (exitError{2}) {
		t.Errorf("import of a missing file: err = %v, want exit status 2, as for other command lines that name what does not exist", err)
	}
	if !strings.Contains(errOut, "missing.json") {
		t.Errorf("import output = %q, want it to name missing.json", errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the store file exists after a failed import (stat error %v)", err)
	}
}

// TestImportServicesSummary checks that a service list's summary counts a repeated
// service_code once, reports a list that starts the store's catalog, and counts the services
// that the saved catalog had.
func TestImportServicesSummary(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "city.db")
	entry := func(code, name string) string {
		return `{"service_code":"` + code + `","service_name":"` + name + `","type":"realtime","metadata":false,"keywords":"","group":"Streets","description":""}`
	}
	first := filepath.Join(dir, "first.json")
	if err := os.WriteFile(first, []byte("["+entry("900", "Bench")+","+entry("901", "Sign")+","+entry("900", "Park bench")+"]"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(dir, "second.json")
	if err := os.WriteFile(second, []byte("["+entry("901", "Road sign")+","+entry("902", "Fountain")+"]"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, file, want string
	}{
		{"new store", first, "imported 3 entries as 2 services, because 1 entry repeated the service_code of an earlier entry and merged into its service; the store had no saved catalog, so the list starts one"},
		{"overlapping list", second, "imported 2 services (1 new, 1 already in the saved catalog); skipped 0 bad entries"},
	}
	for _, tc := range tests {
		out, _, err := runCommand(importFiles, "-db", db, "-locale", "en", tc.file)
		if err != nil {
			t.Fatalf("%s: import: %v", tc.name, err)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: import output = %q, want it to contain %q", tc.name, out, tc.want)
		}
	}
}

// TestImportCutOffFileReportsKept checks that an import stopped by a JSON or XML file that
// ends in the middle of a record reports that the file is cut off and that the records
// before it are in the store.
func TestImportCutOffFileReportsKept(t *testing.T) {
	dir := t.TempDir()
	files := []struct {
		name, text, want string
	}{
		{"cut.json", `[{"service_request_id":"c-1","service_code":"171","status":"open","requested_datetime":"2026-11-01T10:00:00Z","lat":60.17,"long":24.94},
{"service_request_id":"c-2","service_code":"171","status":"op`,
			"cut.json: record 2: unexpected EOF: the file is cut off; the 1 request before it was imported, and importing the whole file again replaces it"},
		{"cut.xml", `<?xml version="1.0" encoding="utf-8"?>
<service_requests>
<request><service_request_id>x-1</service_request_id><service_code>171</service_code><status>open</status><requested_datetime>2026-11-01T10:00:00Z</requested_datetime></request>
<request><service_request_id>x-2</service_request_id><service_code>171</service_code><status>op`,
			"cut.xml: record 2: unexpected EOF on line 4: the file is cut off; the 1 request before it was imported, and importing the whole file again replaces it"},
	}
	for _, tc := range files {
		file := filepath.Join(dir, tc.name)
		if err := os.WriteFile(file, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, err := runCommand(importFiles, "-db", filepath.Join(dir, "city.db"), file)
		if err != (exitError{1}) {
			t.Errorf("import of %s: err = %v, want exit status 1", tc.name, err)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("import of %s: output = %q, want it to contain %q", tc.name, errOut, tc.want)
		}
	}
}

// TestImportWarnsOfUndatedRequests checks that requests without a requested_datetime, or
// updated before it, are imported with a warning.
func TestImportWarnsOfUndatedRequests(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "undated.json")
	records := `[{"service_request_id":"u-1","service_code":"171","status":"open","lat":60.17,"long":24.94},
{"service_request_id":"u-2","service_code":"171","status":"open","lat":60.18,"long":24.95},
{"service_request_id":"u-3","service_code":"171","status":"open","requested_datetime":"2026-11-01T10:00:00Z","updated_datetime":"2026-11-01T09:00:00Z"}]`
	if err := os.WriteFile(file, []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCommand(importFiles, "-db", filepath.Join(dir, "city.db"), file)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if want := "imported 3 requests, skipped 0 bad records"; !strings.Contains(out, want) {
		t.Errorf("import output = %q, want it to contain %q", out, want)
	}
	if want := "warning: 2 imported requests have no requested_datetime, so lists with a date window"; !strings.Contains(errOut, want) {
		t.Errorf("import errors = %q, want them to contain %q", errOut, want)
	}
	if want := "warning: 1 imported request has an updated_datetime before the requested_datetime"; !strings.Contains(errOut, want) {
		t.Errorf("import errors = %q, want them to contain %q", errOut, want)
	}
}

// TestImportWarnsOfUnknownCodes checks that requests whose service_code the catalog lacks
// are imported with a warning that names the codes, and that an empty code is not one.
func TestImportWarnsOfUnknownCodes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "codes.json")
	record := func(id, code string) string {
		return `{"service_request_id":"` + id + `","service_code":"` + code + `","status":"open","requested_datetime":"2026-11-01T10:00:00Z"}`
	}
	records := "[" + strings.Join([]string{record("k-1", "999"), record("k-2", "171"), record("k-3", "abc"), record("k-4", "999"), record("k-5", "")}, ",") + "]"
	if err := os.WriteFile(file, []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runCommand(importFiles, "-db", filepath.Join(dir, "city.db"), file)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if want := "warning: 3 imported requests have a service_code that the catalog lacks (999, abc)"; !strings.Contains(errOut, want) {
		t.Errorf("import errors = %q, want them to contain %q", errOut, want)
	}
}

// TestImportInvalidFlagsExit2 checks that an invalid flag value or an unusable file is an
// error of the command line: exit status 2, a message that names the flag or the file, and
// no store file created.
func TestImportInvalidFlagsExit2(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "city.db")
	file := filepath.Join(dir, "requests.json")
	if err := os.WriteFile(file, []byte(`[{"service_request_id":"f-1","service_code":"171","status":"open"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "exports")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown charset", []string{"-db", db, "-charset", "ebcdic", file},
			`-charset "ebcdic" is not supported; use utf-8, or latin1 (ISO 8859-1) for files that fail as UTF-8`},
		{"unknown time zone", []string{"-db", db, "-tz", "Nowhere/City", file},
			`-tz "Nowhere/City" is not an IANA time zone such as Europe/Helsinki`},
		{"folder as file", []string{"-db", db, folder},
			folder + " is a folder, not a file; name the files to import, such as " + filepath.Join(folder, "*.json")},
		{"store in missing folder", []string{"-db", filepath.Join(dir, "missing", "city.db"), file},
			"-db " + filepath.Join(dir, "missing", "city.db") + ": the folder " + filepath.Join(dir, "missing") + " does not exist"},
		{"folder as store", []string{"-db", folder, file},
			"-db " + folder + " is a folder; give the path of a SQLite file"},
		{"file as store", []string{"-db", file, file},
			"-db " + file + " is not a SQLite database"},
		{"profile in missing folder", []string{"-db", db, "-cpuprofile", filepath.Join(dir, "missing", "cpu.out"), file},
			"-cpuprofile: open " + filepath.Join(dir, "missing", "cpu.out")},
	}
	for _, tc := range tests {
		_, errOut, err := runCommand(importFiles, tc.args...)
		if err != (exitError{2}) {
			t.Errorf("%s: err = %v, want exit status 2", tc.name, err)
		}
		if !strings.Contains(errOut, "open311 import: "+tc.want) {
			t.Errorf("%s: output = %q, want it to contain %q", tc.name, errOut, "open311 import: "+tc.want)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("%s: the store file exists after the command line was rejected (stat error %v)", tc.name, err)
		}
	}
}

// TestImportLocaleFlag checks that -locale must be a tag of a known language, so that no
// made-up language joins the catalog, and that the catalog gets the language's code.
func TestImportLocaleFlag(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "services.json")
	entry := `[{"service_code":"900","service_name":"Penkki","type":"realtime","metadata":false,"keywords":"","group":"Kadut","description":""}]`
	if err := os.WriteFile(list, []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, value := range []string{"xx", "Finnish", "und", "x-city", "qaa", "f1"} {
		db := filepath.Join(dir, "rejected.db")
		_, errOut, err := runCommand(importFiles, "-db", db, "-locale", value, list)
		if err != (exitError{2}) {
			t.Errorf("-locale %s: err = %v, want exit status 2", value, err)
		}
		if want := `open311 import: -locale "` + value + `" is not a known language; use a language code such as fi, sv or en`; !strings.Contains(errOut, want) {
			t.Errorf("-locale %s: output = %q, want it to contain %q", value, errOut, want)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Errorf("-locale %s: the store file exists after the command line was rejected (stat error %v)", value, err)
		}
	}

	tests := []struct{ value, want string }{
		{"fi", "fi"},
		{"sv_FI", "sv"},
		{"EN-gb", "en"},
		{"fin", "fi"},
	}
	for _, tc := range tests {
		db := filepath.Join(dir, tc.value+".db")
		if _, errOut, err := runCommand(importFiles, "-db", db, "-locale", tc.value, list); err != nil {
			t.Fatalf("-locale %s: %v (%s)", tc.value, err, errOut)
		}
		catalog := readSavedCatalog(t, db)
		if got := catalog.Locales; len(got) != 1 || got[0] != tc.want {
			t.Errorf("-locale %s: the saved catalog's locales = %v, want [%s]", tc.value, got, tc.want)
		}
	}
}

// storeOfTwoJurisdictions returns a new SQLite store whose saved catalog has the
// jurisdictions north.test and south.test, and the service list file imported into each.
func storeOfTwoJurisdictions(t *testing.T) (db, services string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "city.db")
	services = filepath.Join(dir, "services.json")
	list := `[{"service_code":"171","service_name":"Pothole","type":"realtime","metadata":false,"keywords":"","group":"Streets","description":""}]`
	if err := os.WriteFile(services, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"north.test", "south.test"} {
		if _, errOut, err := runCommand(importFiles, "-db", db, "-locale", "en", "-jurisdiction", id, services); err != nil {
			t.Fatalf("import the service list of %s: %v (%s)", id, err, errOut)
		}
	}
	return db, services
}

// openTestStore opens the SQLite store at path until the test ends.
func openTestStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// readSavedCatalog returns the catalog saved in the SQLite store at path.
func readSavedCatalog(t *testing.T, path string) *georeport.Catalog {
	t.Helper()
	data, err := openTestStore(t, path).Catalog(context.Background())
	if err != nil {
		t.Fatalf("read the saved catalog: %v", err)
	}
	catalog, err := georeport.ParseCatalog("saved catalog", data)
	if err != nil {
		t.Fatal(err)
	}
	return catalog
}

// TestImportNamesNewStore checks that an import into a store that did not exist says that
// it created the store, because the -db path may be a typo, and that a second import into the
// same store does not.
func TestImportNamesNewStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "typo.db")
	file := filepath.Join(dir, "requests.json")
	if err := os.WriteFile(file, []byte(`[{"service_request_id":"n-1","service_code":"171","status":"open","requested_datetime":"2026-11-01T10:00:00Z"}]`), 0o644); err != nil {
		t.Fatal(err)
	}

	out, errOut, err := runCommand(importFiles, "-db", db, file)
	if err != nil {
		t.Fatalf("import into a new store: %v (%s)", err, errOut)
	}
	if want := "Created a new store at " + db + " (check -db if you meant an existing one).\n"; !strings.Contains(errOut, want) {
		t.Errorf("import into a new store: errors = %q, want them to contain %q", errOut, want)
	}
	if want := "imported 1 request, skipped 0 bad records"; !strings.Contains(out, want) {
		t.Errorf("import into a new store: output = %q, want it to contain %q", out, want)
	}

	_, errOut, err = runCommand(importFiles, "-db", db, file)
	if err != nil {
		t.Fatalf("import into the same store: %v (%s)", err, errOut)
	}
	if strings.Contains(errOut, "new store") {
		t.Errorf("import into an existing store: errors = %q, want no mention of a new store", errOut)
	}
}

// TestImportRequiresJurisdiction checks that an import without -jurisdiction into a store
// whose saved catalog has several jurisdictions is rejected before anything is stored,
// because its requests would belong to none of the jurisdictions that queries name. It also
// checks that an unknown -jurisdiction is rejected, and that a service list imported first
// adds its jurisdiction for the requests that follow it.
func TestImportRequiresJurisdiction(t *testing.T) {
	db, services := storeOfTwoJurisdictions(t)
	requests := filepath.Join(filepath.Dir(db), "requests.json")
	records := `[{"service_request_id":"j-1","service_code":"171","status":"open","requested_datetime":"2026-11-01T10:00:00Z"}]`
	if err := os.WriteFile(requests, []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}

	rejected := []struct {
		name string
		args []string
		want string
	}{
		{"requests without jurisdiction", []string{requests},
			"open311 import: the saved catalog has 2 jurisdictions (north.test, south.test), so -jurisdiction is required; give the one that the requests belong to, such as -jurisdiction north.test"},
		{"services without jurisdiction", []string{services},
			"open311 import: the saved catalog has 2 jurisdictions (north.test, south.test), so -jurisdiction is required"},
		{"unknown jurisdiction", []string{"-jurisdiction", "west.test", requests},
			`-jurisdiction "west.test" is not in the saved catalog, which has north.test, south.test; use one of those, or import the jurisdiction's service list first`},
	}
	for _, tc := range rejected {
		_, errOut, err := runCommand(importFiles, append([]string{"-db", db}, tc.args...)...)
		if err != (exitError{2}) {
			t.Errorf("%s: err = %v, want exit status 2", tc.name, err)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: errors = %q, want them to contain %q", tc.name, errOut, tc.want)
		}
	}
	if n := countStoredRequests(t, db); n != 0 {
		t.Errorf("the rejected imports stored %d requests, want 0", n)
	}
	if got := readSavedCatalog(t, db).Services; len(got) != 2 {
		t.Errorf("the saved catalog has %d services after the rejected imports, want 2", len(got))
	}

	out, errOut, err := runCommand(importFiles, "-db", db, "-jurisdiction", "north.test", requests)
	if err != nil {
		t.Fatalf("import with -jurisdiction north.test: %v (%s)", err, errOut)
	}
	if want := "imported 1 request, skipped 0 bad records"; !strings.Contains(out, want) {
		t.Errorf("import with -jurisdiction north.test: output = %q, want it to contain %q", out, want)
	}
	out, errOut, err = runCommand(importFiles, "-db", db, "-locale", "en", "-jurisdiction", "west.test", services, requests)
	if err != nil {
		t.Fatalf("import of a service list and requests of west.test: %v (%s)", err, errOut)
	}
	if want := requests + ": imported 1 request"; !strings.Contains(out, want) {
		t.Errorf("import of a service list and requests of west.test: output = %q, want it to contain %q", out, want)
	}
}

// countStoredRequests returns the number of requests in the SQLite store at path.
func countStoredRequests(t *testing.T, path string) int {
	t.Helper()
	n, err := openTestStore(t, path).CountRequests(context.Background())
	if err != nil {
		t.Fatalf("count the stored requests: %v", err)
	}
	return n
}
