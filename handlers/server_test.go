package handlers

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/media"
	"github.com/open311-to-go/open311/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files under ../testdata/golden with the current output")

// testNow is the injected clock of every handler test: a Tuesday in March 2026, so that the
// 90-day default window ends in early December 2025.
var testNow = time.Date(2026, 3, 5, 8, 15, 30, 0, time.UTC)

// testKey is the API key every test server accepts.
const testKey = "test-key-0123456789abcdefghijklmn"

// testServer is a Server on an in-memory SQLite store with a fixed clock and predictable ids.
type testServer struct {
	*Server
	store    *sqlite.Store
	media    *media.FileStore
	mediaDir string
	nextID   int
}

type serverOption func(*Config)

// newTestServer starts a server on the catalog file under ../testdata, with one active key.
func newTestServer(t testing.TB, catalogFile string, options ...serverOption) *testServer {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := sqlite.Open(ctx, ":memory:", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.CreateKey(ctx, &georeport.Key{Name: "test", Role: georeport.RoleClient,
		Hash: georeport.HashKey(testKey), Active: true, Created: testNow}); err != nil {
		t.Fatal(err)
	}
	catalog := loadTestCatalog(t, catalogFile)
	dir := t.TempDir()
	files, err := media.NewFileStore(dir, "http://open311.test/open311/v2/media")
	if err != nil {
		t.Fatal(err)
	}

	ts := &testServer{store: store, media: files, mediaDir: dir}
	tokens := 0
	cfg := Config{
		Store:    store,
		Catalog:  catalog,
		Logger:   logger,
		Media:    files,
		BaseURL:  "http://open311.test",
		MaxSpan:  georeport.DefaultWindow,
		Now:      func() time.Time { return testNow },
		NewID:    func() string { ts.nextID++; return fmt.Sprintf("test%016d", ts.nextID) },
		NewToken: func() string { tokens++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", tokens) },
	}
	for _, option := range options {
		option(&cfg)
	}
	ts.Server, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func loadTestCatalog(t testing.TB, name string) *georeport.Catalog {
	t.Helper()
	if name == "" {
		return georeport.DemoCatalog()
	}
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := georeport.ParseCatalog(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return catalog
}

// get sends a GET for target, a path under the root with its query, and returns the response.
func (ts *testServer) get(t *testing.T, target string, header ...string) *http.Response {
	t.Helper()
	return ts.do(t, httptest.NewRequest(http.MethodGet, "/open311/v2/"+target, nil), header...)
}

// post sends form fields, form-urlencoded, to target under the root.
func (ts *testServer) post(t *testing.T, target string, form url.Values, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/open311/v2/"+target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return ts.do(t, r, header...)
}

func (ts *testServer) do(t *testing.T, r *http.Request, header ...string) *http.Response {
	t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	ts.ServeHTTP(w, r)
	return w.Result()
}

// create POSTs a valid request and returns its id.
func (ts *testServer) create(t *testing.T, form url.Values) string {
	t.Helper()
	form.Set("api_key", testKey)
	resp := ts.post(t, "requests.json", form)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %v = %d %s, want 200", form, resp.StatusCode, body)
	}
	m := regexp.MustCompile(`"service_request_id":"([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("POST response %s has no service_request_id", body)
	}
	return string(m[1])
}

// createBatch files a request of the catalog's batch service, which responds with a token
// instead of an id: 00000000-0000-4000-8000-000000000001 for the first.
func (ts *testServer) createBatch(t *testing.T) {
	t.Helper()
	resp := ts.post(t, "requests.json", url.Values{"api_key": {testKey}, "service_code": {"BATCH"},
		"address_string": {"Aleksanterinkatu 1"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST batch = %d %s", resp.StatusCode, readBody(t, resp))
	}
}

func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// checkGolden compares got with the golden file named after the test, or rewrites the file
// with -update.
func checkGolden(t *testing.T, got []byte) {
	t.Helper()
	name := strings.NewReplacer("/", "__", " ", "_").Replace(t.Name())
	path := filepath.Join("..", "testdata", "golden", "handlers", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers -update to create the golden file)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test ./handlers -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// exchangeDump returns the status line, the headers a client relies on and the body, as the
// golden files record them.
func exchangeDump(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n", resp.Status)
	for _, name := range []string{"Allow", "Content-Type", "Content-Language", "ETag", "Link", "Retry-After",
		"X-Page-Count", "X-Page-Size", "X-Result-Count"} {
		if v := resp.Header.Get(name); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		}
	}
	b.WriteString("\n")
	b.Write(readBody(t, resp))
	return b.Bytes()
}
