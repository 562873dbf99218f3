package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServeServices measures the whole handler for the pre-encoded service list, which
// is the server's own overhead on top of net/http.
func BenchmarkServeServices(b *testing.B) {
	ts := newTestServer(b, "")
	r := httptest.NewRequest(http.MethodGet, "/open311/v2/services.json?locale=fi", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		ts.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
