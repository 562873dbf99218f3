package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	resp := ts.get(t, "services.json")
	for header, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("plain HTTP got Strict-Transport-Security %q", got)
	}

	r := httptest.NewRequest(http.MethodGet, "/open311/v2/services.json", nil)
	r.RemoteAddr = "10.1.2.3:5000"
	r.Header.Set("X-Forwarded-Proto", "https")
	if got := ts.do(t, r).Header.Get("Strict-Transport-Security"); got == "" {
		t.Error("HTTPS through a trusted proxy got no Strict-Transport-Security")
	}
	r = httptest.NewRequest(http.MethodGet, "/open311/v2/services.json", nil)
	r.RemoteAddr = "192.0.2.7:5000"
	r.Header.Set("X-Forwarded-Proto", "https")
	if got := ts.do(t, r).Header.Get("Strict-Transport-Security"); got != "" {
		t.Error("an untrusted client's X-Forwarded-Proto was believed")
	}
}

func TestCORS(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) { c.CORSOrigins = []string{"https://app.example.org"} })
	preflight := func(origin, method string) *http.Response {
		r := httptest.NewRequest(http.MethodOptions, "/open311/v2/requests.json", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		r.Header.Set("Access-Control-Request-Headers", "content-type")
		return ts.do(t, r)
	}
	tests := []struct {
		origin, method, wantOrigin string
	}{
		{"https://anyone.example", http.MethodGet, "*"},
		{"https://app.example.org", http.MethodPost, "https://app.example.org"},
		{"https://evil.example", http.MethodPost, ""},
		{"https://app.example.org", http.MethodDelete, ""},
	}
	for _, tt := range tests {
		resp := preflight(tt.origin, tt.method)
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("preflight %s from %s = %d, want 204", tt.method, tt.origin, resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
			t.Errorf("preflight %s from %s allows origin %q, want %q", tt.method, tt.origin, got, tt.wantOrigin)
		}
	}

	get := ts.get(t, "requests.json", "Origin", "https://anyone.example")
	if get.Header.Get("Access-Control-Allow-Origin") != "*" || get.Header.Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("GET from another origin has CORS headers %v", get.Header)
	}
	post := ts.post(t, "requests.json", validForm(), "Origin", "https://evil.example")
	if post.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("a POST from an origin that is not allowed got Access-Control-Allow-Origin")
	}
}

func TestPostOriginChecked(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) {
		c.CORSOrigins = []string{"https://app.example.org"}
		c.BaseURL = "https://feedback.example.org"
	})
	tests := []struct {
		name, origin string
		want         int
	}{
		{"no origin, as from curl", "", http.StatusOK},
		{"the host of the base URL", "https://feedback.example.org", http.StatusOK},
		{"an allowed origin", "https://app.example.org", http.StatusOK},
		{"the server's own host", "http://example.com", http.StatusOK}, // httptest requests go to example.com
		{"another origin", "https://evil.example", http.StatusForbidden},
		{"an opaque origin", "null", http.StatusForbidden},
	}
	for _, tt := range tests {
		var header []string
		if tt.origin != "" {
			header = []string{"Origin", tt.origin, "Accept-Language", "en"}
		}
		resp := ts.post(t, "requests.json", validForm(), header...)
		body := string(readBody(t, resp))
		if resp.StatusCode != tt.want {
			t.Errorf("%s: POST = %d %s, want %d", tt.name, resp.StatusCode, body, tt.want)
		}
		if tt.want == http.StatusForbidden && !strings.Contains(body, "-cors-origins") {
			t.Errorf("%s: description %s does not name -cors-origins", tt.name, body)
		}
	}
	resp := ts.get(t, "requests.json")
	readBody(t, resp)
	if got := resp.Header.Get("X-Result-Count"); got != "4" {
		t.Errorf("X-Result-Count %q after the POSTs, want the 4 of the allowed origins", got)
	}
}

// TestOptionsPerPath checks that OPTIONS gets the methods of the path in its format, as
// 405 does, and 404 for a path or format that does not exist.
func TestOptionsPerPath(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) { c.CORSOrigins = []string{"https://app.example.org"} })
	tests := []struct {
		target      string
		wantStatus  int
		wantAllow   string
		wantMethods string // Access-Control-Allow-Methods of a preflight POST from app.example.org
	}{
		{"/open311/v2/requests.json", http.StatusNoContent, "GET, HEAD, OPTIONS, POST", "GET, HEAD, POST"},
		{"/open311/v2/requests.geojson", http.StatusNoContent, "GET, HEAD, OPTIONS", ""},
		{"/open311/v2/services.json", http.StatusNoContent, "GET, HEAD, OPTIONS", ""},
		{"/open311/v2/services/POT.xml", http.StatusNoContent, "GET, HEAD, OPTIONS", ""},
		{"/healthz", http.StatusNoContent, "GET, HEAD, OPTIONS", ""},
		{"/open311/v2/discovery.geojson", http.StatusNotFound, "", ""},
		{"/open311/v2/foo.json", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodOptions, tt.target, nil)
		r.Header.Set("Origin", "https://app.example.org")
		r.Header.Set("Access-Control-Request-Method", http.MethodPost)
		resp := ts.do(t, r)
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("OPTIONS %s = %d, want %d", tt.target, resp.StatusCode, tt.wantStatus)
		}
		if got := resp.Header.Get("Allow"); got != tt.wantAllow {
			t.Errorf("OPTIONS %s: Allow %q, want %q", tt.target, got, tt.wantAllow)
		}
		if got := resp.Header.Get("Access-Control-Allow-Methods"); got != tt.wantMethods {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Methods %q, want %q", tt.target, got, tt.wantMethods)
		}
	}
}

func TestClientAddressBehindProxies(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	tests := []struct {
		remote, forwarded, want string
	}{
		{"192.0.2.7:5000", "", "192.0.2.7"},
		{"192.0.2.7:5000", "203.0.113.9", "192.0.2.7"},                          // an untrusted client cannot choose its address
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},                         // one trusted proxy
		{"10.1.2.3:5000", "198.51.100.1, 203.0.113.9, 10.9.9.9", "203.0.113.9"}, // a forged first entry is skipped
		{"[::1]:5000", "2001:db8::5", "2001:db8::5"},
		{"10.1.2.3:5000", "not-an-address", "10.1.2.3"},
		{"10.1.2.3:5000", "203.0.113.9:51234", "203.0.113.9"},
		{"10.1.2.3:5000", "[2001:db8::5]:443", "2001:db8::5"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.remote
		if tt.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		if got := ts.clientAddress(r); got != tt.want {
			t.Errorf("clientAddress(%s, X-Forwarded-For %q) = %q, want %q", tt.remote, tt.forwarded, got, tt.want)
		}
	}
}

func TestRateLimitPerForwardedClient(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) {
		c.GetRate = Rate{Count: 2, Per: time.Minute}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	get := func(client string) int {
		r := httptest.NewRequest(http.MethodGet, "/open311/v2/services.json", nil)
		r.RemoteAddr = "10.0.0.1:4000"
		r.Header.Set("X-Forwarded-For", client)
		return ts.do(t, r).StatusCode
	}
	for i, want := range []int{200, 200, 429} {
		if got := get("203.0.113.1"); got != want {
			t.Errorf("request %d of the first client = %d, want %d", i+1, got, want)
		}
	}
	if got := get("203.0.113.2"); got != 200 {
		t.Errorf("another client behind the same proxy = %d, want 200", got)
	}
}

func TestReadyzWhileDraining(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	ts.SetDraining(true)
	resp := ts.do(t, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while draining = %d, want 503", resp.StatusCode)
	}
	if resp := ts.do(t, httptest.NewRequest(http.MethodGet, "/healthz", nil)); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz while draining = %d, want 200", resp.StatusCode)
	}
}
