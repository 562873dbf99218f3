package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// mediaHost is a media host for tests. It keeps files in a map and serves them with
// http.ServeContent, which handles HEAD and Range requests.
type mediaHost struct {
	// username and password, when username is set, are the Basic credentials that every
	// request must carry.
	username, password string

	// failStatus, when set, is the status of every response.
	failStatus int

	// ignoreRange makes GET return the whole file, as a host without Range support does.
	ignoreRange bool

	mu       sync.Mutex
	files    map[string]hostedFile
	requests []hostRequest
}

type hostedFile struct {
	data        []byte
	contentType string
	modTime     time.Time
}

// hostRequest records what the store sent.
type hostRequest struct {
	method, path, rangeHeader, authorization string
	transferEncoding                         []string
}

func newMediaHost() *mediaHost {
	return &mediaHost{files: make(map[string]hostedFile)}
}

func (h *mediaHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.requests = append(h.requests, hostRequest{
		method:           r.Method,
		path:             r.URL.Path,
		rangeHeader:      r.Header.Get("Range"),
		authorization:    r.Header.Get("Authorization"),
		transferEncoding: r.TransferEncoding,
	})
	h.mu.Unlock()

	if h.username != "" {
		username, password, ok := r.BasicAuth()
		if !ok || username != h.username || password != h.password {
			http.Error(w, "wrong credentials", http.StatusUnauthorized)
			return
		}
	}
	if h.failStatus != 0 {
		http.Error(w, "failing on purpose", h.failStatus)
		return
	}

	switch r.Method {
	case http.MethodPut:
		// A body cut short is an error here, so a failed upload stores nothing.
		data, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.files[r.URL.Path] = hostedFile{data: data, contentType: r.Header.Get("Content-Type"), modTime: time.Now()}
		h.mu.Unlock()
		w.WriteHeader(http.StatusCreated)

	case http.MethodGet, http.MethodHead:
		h.mu.Lock()
		f, ok := h.files[r.URL.Path]
		h.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		if h.ignoreRange {
			r.Header.Del("Range")
		}
		http.ServeContent(w, r, "", f.modTime, bytes.NewReader(f.data))

	case http.MethodDelete:
		h.mu.Lock()
		_, ok := h.files[r.URL.Path]
		delete(h.files, r.URL.Path)
		h.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)

	default:
		w.Header().Set("Allow", "PUT, GET, HEAD, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (h *mediaHost) file(path string) (hostedFile, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.files[path]
	return f, ok
}

func (h *mediaHost) recorded() []hostRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hostRequest(nil), h.requests...)
}

// newTestHTTPStore returns a store on server under the path /open311, with the credentials
// in userinfo, such as "user:password@", when it is not empty.
func newTestHTTPStore(t *testing.T, server *httptest.Server, userinfo string) *HTTPStore {
	t.Helper()
	scheme, host, _ := strings.Cut(server.URL, "://")
	store, err := NewHTTPStore(scheme+"://"+userinfo+host+"/open311/", server.Client())
	if err != nil {
		t.Fatalf("NewHTTPStore: %v", err)
	}
	return store
}

func TestHTTPStoreContract(t *testing.T) {
	server := httptest.NewServer(newMediaHost())
	defer server.Close()
	testStore(t, newTestHTTPStore(t, server, ""))
}

func TestHTTPStoreContractTLSWithAuth(t *testing.T) {
	host := newMediaHost()
	host.username, host.password = "uploader", "s3cret-pass"
	server := httptest.NewTLSServer(host)
	defer server.Close()
	testStore(t, newTestHTTPStore(t, server, "uploader:s3cret-pass@"))
}

func TestHTTPStoreContractWithoutRange(t *testing.T) {
	host := newMediaHost()
	host.ignoreRange = true
	server := httptest.NewServer(host)
	defer server.Close()
	testStore(t, newTestHTTPStore(t, server, ""))
}

func TestHTTPStoreReadAfterDelete(t *testing.T) {
	server := httptest.NewServer(newMediaHost())
	defer server.Close()
	testReadAfterDelete(t, newTestHTTPStore(t, server, ""))
}

func TestHTTPStorePut(t *testing.T) {
	host := newMediaHost()
	server := httptest.NewServer(host)
	defer server.Close()
	store := newTestHTTPStore(t, server, "")

	data := testBytes(200_000)
	if err := store.Put(context.Background(), "abc123.jpg", "image/jpeg", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put: %v", err)
	}

	f, ok := host.file("/open311/abc123.jpg")
	if !ok {
		t.Fatal("the host has no /open311/abc123.jpg after Put")
	}
	if !bytes.Equal(f.data, data) {
		t.Errorf("the host stored %d bytes that differ from the %d put", len(f.data), len(data))
	}
	if f.contentType != "image/jpeg" {
		t.Errorf("Content-Type = %q, want image/jpeg", f.contentType)
	}

	requests := host.recorded()
	if len(requests) != 1 {
		t.Fatalf("the host got %d requests, want 1: %+v", len(requests), requests)
	}
	if got := requests[0].transferEncoding; len(got) != 1 || got[0] != "chunked" {
		t.Errorf("Transfer-Encoding = %q, want chunked", got)
	}
	if got := requests[0].authorization; got != "" {
		t.Errorf("Authorization = %q, want none from a store without credentials", got)
	}

	if got, want := store.URL("abc123.jpg"), server.URL+"/open311/abc123.jpg"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

func TestHTTPStoreRangeRequest(t *testing.T) {
	host := newMediaHost()
	server := httptest.NewServer(host)
	defer server.Close()
	store := newTestHTTPStore(t, server, "")
	ctx := context.Background()

	data := testBytes(100_000)
	if err := store.Put(ctx, "range.png", "image/png", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	f, err := store.Open(ctx, "range.png")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	if _, err := f.Seek(90_000, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	buf := make([]byte, 16)
	if _, err := io.ReadFull(f, buf); err != nil {
		t.Fatalf("ReadFull: %v", err)
	}

	var got []string
	for _, r := range host.recorded() {
		if r.method != http.MethodPut {
			got = append(got, r.method+" "+r.rangeHeader)
		}
	}
	want := []string{"HEAD ", "GET bytes=90000-"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("requests after Put = %q, want %q", got, want)
	}
}

func TestHTTPStoreServerErrors(t *testing.T) {
	host := newMediaHost()
	server := httptest.NewServer(host)
	defer server.Close()
	store := newTestHTTPStore(t, server, "")
	ctx := context.Background()

	if err := store.Put(ctx, "kept.png", "image/png", bytes.NewReader([]byte("kept"))); err != nil {
		t.Fatalf("Put before the failures: %v", err)
	}
	host.failStatus = http.StatusServiceUnavailable

	tests := []struct {
		name string
		call func() error
	}{
		{"Put", func() error { return store.Put(ctx, "new.png", "image/png", bytes.NewReader([]byte("new"))) }},
		{"Delete", func() error { return store.Delete(ctx, "kept.png") }},
		{"Open", func() error {
			f, err := store.Open(ctx, "kept.png")
			if err == nil {
				f.Close()
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("got nil, want an error for 503")
			}
			if !strings.Contains(err.Error(), "503 Service Unavailable") {
				t.Errorf("error %q does not name the status 503 Service Unavailable", err)
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("error %q is ErrNotFound, want a server error", err)
			}
		})
	}
}

func TestHTTPStoreRedirectIsError(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer server.Close()
	store := newTestHTTPStore(t, server, "")

	err := store.Put(context.Background(), "moved.png", "image/png", bytes.NewReader([]byte("x")))
	if err == nil || !strings.Contains(err.Error(), "307") {
		t.Errorf("Put to a redirecting host = %v, want an error naming 307", err)
	}
}

func TestHTTPStoreBasicAuth(t *testing.T) {
	host := newMediaHost()
	host.username, host.password = "uploader", "s3cret-pass"
	server := httptest.NewTLSServer(host)
	defer server.Close()
	ctx := context.Background()

	tests := []struct {
		name     string
		userinfo string
		wantErr  bool
	}{
		{"right credentials", "uploader:s3cret-pass@", false},
		{"wrong password", "uploader:wrong@", true},
		{"no credentials", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newTestHTTPStore(t, server, tt.userinfo)
			err := store.Put(ctx, "auth.png", "image/png", bytes.NewReader([]byte("x")))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Put = %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantErr && !strings.Contains(err.Error(), "401") {
				t.Errorf("error %q does not name the status 401", err)
			}
		})
	}
}

func TestHTTPStoreNoCredentialsInErrors(t *testing.T) {
	const password = "s3cret-pass"
	ctx := context.Background()

	failing := newMediaHost()
	failing.failStatus = http.StatusInternalServerError
	server := httptest.NewTLSServer(failing)
	defer server.Close()
	store := newTestHTTPStore(t, server, "uploader:"+password+"@")

	closed := httptest.NewTLSServer(newMediaHost())
	closedStore := newTestHTTPStore(t, closed, "uploader:"+password+"@")
	closed.Close()

	var errs []error
	for _, s := range []*HTTPStore{store, closedStore} {
		errs = append(errs,
			s.Put(ctx, "a.png", "image/png", bytes.NewReader([]byte("x"))),
			s.Put(ctx, "b.png", "image/png", &failingReader{n: 100}),
			s.Delete(ctx, "a.png"),
		)
		_, err := s.Open(ctx, "a.png")
		errs = append(errs, err)
	}
	for _, rawURL := range []string{
		"http://uploader:" + password + "@127.0.0.1:8080/media",
		"https://uploader:" + password + "@media.example.org/media?token=x",
		"ftp://uploader:" + password + "@media.example.org/media",
		"https://uploader:" + password + "@media.example.org/%zz",
	} {
		_, err := NewHTTPStore(rawURL, nil)
		errs = append(errs, err)
	}

	for i, err := range errs {
		if err == nil {
			t.Errorf("error %d is nil, want an error", i)
			continue
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("error %d contains the password: %v", i, err)
		}
	}
}

func TestNewHTTPStoreURL(t *testing.T) {
	tests := []struct {
		rawURL  string
		wantURL string // of the file a.jpg
		wantErr string // a part of the error message
	}{
		{rawURL: "https://media.example.org/open311", wantURL: "https://media.example.org/open311/a.jpg"},
		{rawURL: "https://media.example.org/open311/", wantURL: "https://media.example.org/open311/a.jpg"},
		{rawURL: "https://media.example.org", wantURL: "https://media.example.org/a.jpg"},
		{rawURL: "https://user:pw@media.example.org/m", wantURL: "https://media.example.org/m/a.jpg"},
		{rawURL: "http://127.0.0.1:8081/m", wantURL: "http://127.0.0.1:8081/m/a.jpg"},
		{rawURL: "http://[::1]:8081/m", wantURL: "http://[::1]:8081/m/a.jpg"},
		{rawURL: "http://localhost:8081", wantURL: "http://localhost:8081/a.jpg"},
		{rawURL: "http://media.example.org/m", wantErr: "http:// is accepted only for a loopback host"},
		{rawURL: "http://10.0.0.5/m", wantErr: "http:// is accepted only for a loopback host"},
		{rawURL: "http://user:pw@127.0.0.1/m", wantErr: "clear text"},
		{rawURL: "ftp://media.example.org/m", wantErr: "use https://HOST/PATH"},
		{rawURL: "media.example.org/m", wantErr: "use https://HOST/PATH"},
		{rawURL: "https:///m", wantErr: "the host is missing"},
		{rawURL: "https://media.example.org/m?sig=x", wantErr: "remove the query string"},
		{rawURL: "https://media.example.org/m#top", wantErr: "remove the query string"},
		{rawURL: "https://media.example.org/%zz", wantErr: "invalid media host URL"},
	}
	for _, tt := range tests {
		store, err := NewHTTPStore(tt.rawURL, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewHTTPStore(%q) = %v, want an error containing %q", tt.rawURL, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewHTTPStore(%q) = %v, want nil", tt.rawURL, err)
			continue
		}
		if got := store.URL("a.jpg"); got != tt.wantURL {
			t.Errorf("NewHTTPStore(%q).URL(a.jpg) = %q, want %q", tt.rawURL, got, tt.wantURL)
		}
	}
}
