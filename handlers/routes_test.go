package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// failingStore is a store whose request queries fail with err, as a store that lost its
// database does.
type failingStore struct {
	georeport.Store
	err error
}

func (s failingStore) FindRequests(ctx context.Context, q *georeport.Query) (*georeport.Page, error) {
	return nil, s.err
}

func (s failingStore) Request(ctx context.Context, id string) (*georeport.Request, error) {
	return nil, s.err
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantText   string
	}{
		{"internal", errors.New("sqlite: disk I/O error near SELECT secret_column"), 500, "try again later"},
		{"unavailable", &georeport.Error{Kind: georeport.Unavailable, Err: errors.New("connection refused 10.0.0.5:27017")}, 503, "busy or not reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, "catalog.json", func(c *Config) {
				c.Store = failingStore{Store: c.Store, err: tt.err}
			})
			for _, target := range []string{"requests.json", "requests/abc.xml"} {
				resp := ts.get(t, target)
				body := string(readBody(t, resp))
				if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantText) {
					t.Errorf("GET %s = %d %s, want %d with %q", target, resp.StatusCode, body, tt.wantStatus, tt.wantText)
				}
				wantRetry := ""
				if tt.wantStatus == 503 {
					wantRetry = "5"
				}
				if got := resp.Header.Get("Retry-After"); got != wantRetry {
					t.Errorf("GET %s: Retry-After %q, want %q", target, got, wantRetry)
				}
				for _, secret := range []string{"secret_column", "10.0.0.5", "sqlite"} {
					if strings.Contains(body, secret) {
						t.Errorf("GET %s leaks %q to the client: %s", target, secret, body)
					}
				}
			}
		})
	}
}

func TestPanicIsAnError(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) {
		c.Store = failingStore{Store: c.Store, err: nil}
	})
	// failingStore returns a nil page without an error, which the handler does not expect.
	resp := ts.get(t, "requests.xml")
	body := string(readBody(t, resp))
	if resp.StatusCode != 500 || !strings.Contains(body, "<errors><error><code>500</code>") {
		t.Errorf("GET after a panic = %d %s, want 500 with an XML error list", resp.StatusCode, body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	tests := []struct {
		method, target, wantAllow string
	}{
		{http.MethodDelete, "/open311/v2/requests.json", "GET, HEAD, OPTIONS, POST"},
		{http.MethodPut, "/open311/v2/services.json", "GET, HEAD, OPTIONS"},
		{http.MethodPost, "/open311/v2/services/POT.json", "GET, HEAD, OPTIONS"},
		{http.MethodPatch, "/open311/v2/requests/abc.xml", "GET, HEAD, OPTIONS"},
		{http.MethodPost, "/healthz", "GET, HEAD, OPTIONS"},
		// Only GET serves GeoJSON, so POST is missing from the Allow header of requests.geojson.
		{http.MethodPost, "/open311/v2/requests.geojson", "GET, HEAD, OPTIONS"},
		{http.MethodPut, "/open311/v2/requests.geojson", "GET, HEAD, OPTIONS"},
		{http.MethodPost, "/open311/v2/requests/abc.geojson", "GET, HEAD, OPTIONS"},
	}
	for _, tt := range tests {
		resp := ts.do(t, httptest.NewRequest(tt.method, tt.target, nil))
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tt.wantAllow {
			t.Errorf("%s %s = %d with Allow %q, want 405 with %q", tt.method, tt.target, resp.StatusCode,
				resp.Header.Get("Allow"), tt.wantAllow)
		}
	}
}

// A format that no method of a path serves gets 404 for every method, and the description
// names the requested path, not its route pattern.
func TestUnservedFormatNotFound(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	tests := []struct {
		method, target, want string
	}{
		{http.MethodGet, "/open311/v2/services.geojson", `services is not available as \"geojson\"; use json or xml`},
		{http.MethodPost, "/open311/v2/services.geojson", `services is not available as \"geojson\"; use json or xml`},
		{http.MethodGet, "/open311/v2/services/POT.geojson", `services/POT is not available as \"geojson\"; use json or xml`},
		{http.MethodDelete, "/open311/v2/tokens/abc.geojson", `tokens/abc is not available as \"geojson\"; use json or xml`},
		{http.MethodGet, "/open311/v2/discovery.geojson", `discovery is not available as \"geojson\"; use json or xml`},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.target+"?locale=en", nil)
		resp := ts.do(t, req)
		body := string(readBody(t, resp))
		if resp.StatusCode != 404 || resp.Header.Get("Allow") != "" || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s = %d with Allow %q and %s, want 404 without Allow and %s", tt.method, tt.target,
				resp.StatusCode, resp.Header.Get("Allow"), body, tt.want)
		}
	}
}

// TestUncleanPathKeepsSuffix checks that a path with an empty or dot segment is redirected
// to its clean form with its format suffix and query, keeping the method.
func TestUncleanPathKeepsSuffix(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	tests := []struct {
		method, target, wantLocation string
	}{
		{http.MethodGet, "/open311/v2//requests.xml?locale=en", "/open311/v2/requests.xml?locale=en"},
		{http.MethodGet, "/open311/v2/./services.json", "/open311/v2/services.json"},
		{http.MethodPost, "/open311/v2/x/../requests.xml", "/open311/v2/requests.xml"},
	}
	for _, tt := range tests {
		resp := ts.do(t, httptest.NewRequest(tt.method, tt.target, nil))
		if resp.StatusCode != http.StatusPermanentRedirect {
			t.Errorf("%s %s = %d, want 308", tt.method, tt.target, resp.StatusCode)
		}
		if got := resp.Header.Get("Location"); got != tt.wantLocation {
			t.Errorf("%s %s: Location %q, want %q", tt.method, tt.target, got, tt.wantLocation)
		}
	}
}

func TestServicesETag(t *testing.T) {
	ts := newTestServer(t, "")
	first := ts.get(t, "services.json")
	etag := first.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) {
		t.Fatalf("ETag %q is not a strong ETag", etag)
	}
	if resp := ts.get(t, "services.json", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET with If-None-Match = %d, want 304", resp.StatusCode)
	}
	if resp := ts.get(t, "services.json", "If-None-Match", "W/"+etag+", \"other\""); resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET with a weak match in a list = %d, want 304", resp.StatusCode)
	}
	others := map[string]bool{etag: true}
	for _, target := range []string{"services.xml", "services.json?locale=sv", "services.json?locale=en", "services/171.json"} {
		resp := ts.get(t, target, "If-None-Match", etag)
		if resp.StatusCode != http.StatusOK || others[resp.Header.Get("ETag")] {
			t.Errorf("GET %s = %d with ETag %q, want 200 with an ETag of its own", target, resp.StatusCode, resp.Header.Get("ETag"))
		}
		others[resp.Header.Get("ETag")] = true
	}
}

func TestRateLimits(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) {
		c.PostRate = Rate{Count: 10, Per: time.Minute}
	})
	accepted, limited := 0, 0
	for i := 0; i < 200; i++ {
		form := withField(validForm(), "description", "burst")
		resp := ts.post(t, "requests.json", form)
		switch resp.StatusCode {
		case http.StatusOK:
			accepted++
		case http.StatusTooManyRequests:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("a 429 has no Retry-After")
			}
		default:
			t.Fatalf("POST %d = %d %s", i, resp.StatusCode, readBody(t, resp))
		}
	}
	if accepted != 10 || limited != 190 {
		t.Errorf("a burst of 200 got %d accepted and %d limited, want 10 and 190", accepted, limited)
	}
	page, err := ts.store.FindRequests(context.Background(), &georeport.Query{Words: []string{"burst"}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 10 {
		t.Errorf("the store holds %d requests of the burst, want 10", page.Total)
	}
}

// twoJurisdictions returns a catalog with two jurisdictions, one under pre-moderation, that
// both have a service with the code A.
func twoJurisdictions(t *testing.T) *georeport.Catalog {
	t.Helper()
	data := `{"default_locale": "en", "locales": ["en", "fi"],
	  "jurisdictions": [{"id": "north.example", "moderation": "none"}, {"id": "south.example", "moderation": "pre"}],
	  "services": [
	    {"jurisdiction": "north.example", "service_code": "A", "service_name": "North service"},
	    {"jurisdiction": "south.example", "service_code": "A", "service_name": {"en": "South service", "fi": "Eteläinen palvelu"}}
	  ]}`
	c, err := georeport.ParseCatalog("two.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSeveralJurisdictions(t *testing.T) {
	catalog := twoJurisdictions(t)
	ts := newTestServer(t, "", func(c *Config) { c.Catalog = catalog })

	for _, target := range []string{"services.json", "services/A.json", "requests.json", "requests/x.json"} {
		if resp := ts.get(t, target); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s without jurisdiction_id = %d, want 400", target, resp.StatusCode)
		}
		if resp := ts.get(t, target+"?jurisdiction_id=west.example"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s with an unknown jurisdiction_id = %d, want 404", target, resp.StatusCode)
		}
	}
	body := string(readBody(t, ts.get(t, "services.json?jurisdiction_id=south.example")))
	if !strings.Contains(body, "South service") || strings.Contains(body, "North service") {
		t.Errorf("the south service list is %s", body)
	}

	north := ts.create(t, url.Values{"jurisdiction_id": {"north.example"}, "service_code": {"A"}, "address_string": {"x"}})
	south := ts.create(t, url.Values{"jurisdiction_id": {"south.example"}, "service_code": {"A"}, "address_string": {"y"},
		"description": {"Moderated text"}})
	list := string(readBody(t, ts.get(t, "requests.json?jurisdiction_id=north.example")))
	if !strings.Contains(list, north) || strings.Contains(list, south) {
		t.Errorf("the north list is %s, want only %s", list, north)
	}
	if resp := ts.get(t, "requests/"+north+".json?jurisdiction_id=south.example"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET a north request in the south jurisdiction = %d, want 404", resp.StatusCode)
	}

	// Pre-moderation: the south request is hidden from lists and shows only public fields.
	list = string(readBody(t, ts.get(t, "requests.json?jurisdiction_id=south.example")))
	if strings.Contains(list, south) {
		t.Errorf("a request awaiting moderation is listed: %s", list)
	}
	one := string(readBody(t, ts.get(t, "requests/"+south+".json?jurisdiction_id=south.example&extensions=true&locale=fi")))
	if !strings.Contains(one, `"status":"open"`) || strings.Contains(one, "Moderated text") || !strings.Contains(one, "Eteläinen palvelu") {
		t.Errorf("a hidden request by id is %s, want only its public fields", one)
	}
}

func TestHealth(t *testing.T) {
	ts := newTestServer(t, "")
	for _, path := range []string{"/healthz", "/readyz"} {
		resp := ts.do(t, httptest.NewRequest(http.MethodGet, path, nil))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != JSON.ContentType() {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	ts.store.Close()
	if resp := ts.do(t, httptest.NewRequest(http.MethodGet, "/readyz", nil)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz on a closed store = %d, want 503", resp.StatusCode)
	}
}

func TestOpaqueIDsRoundTrip(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	ctx := context.Background()
	for _, id := range []string{"SR26-01886021", "a.b", "fx.1.2", "001", "with space", "ä/ö"} {
		if _, err := ts.store.ImportRequests(ctx, []georeport.Request{{ID: id, Status: georeport.StatusOpen,
			Requested: testNow, Updated: testNow, ServiceCode: "Public Works:Street Light"}}); err != nil {
			t.Fatal(err)
		}
		target := "requests/" + url.PathEscape(id)
		for _, suffix := range []string{"", ".json", ".xml"} {
			resp := ts.get(t, target+suffix)
			body := string(readBody(t, resp))
			if resp.StatusCode != 200 || !strings.Contains(body, "Street light out") {
				t.Errorf("GET %s%s = %d %s", target, suffix, resp.StatusCode, body)
			}
		}
	}
}

func TestServicesGzip(t *testing.T) {
	ts := newTestServer(t, "")
	plain := ts.get(t, "services.json?locale=sv")
	want := readBody(t, plain)
	zipped := ts.get(t, "services.json?locale=sv", "Accept-Encoding", "br;q=1.0, gzip;q=0.8")
	if zipped.Header.Get("Content-Encoding") != "gzip" || zipped.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Fatalf("gzip response has Content-Encoding %q and ETag %q", zipped.Header.Get("Content-Encoding"), zipped.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, want) {
		t.Error("the gzip body does not decompress to the plain body")
	}
	if resp := ts.get(t, "services.json?locale=sv", "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got a gzip body")
	}
	again := ts.get(t, "services.json?locale=sv", "Accept-Encoding", "gzip", "If-None-Match", zipped.Header.Get("ETag"))
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the gzip ETag = %d, want 304", again.StatusCode)
	}
}
