package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The golden tests record every endpoint in every format it serves. Run
// go test ./handlers -update to rewrite them after an intended change.

func TestGoldenDiscovery(t *testing.T) {
	ts := newTestServer(t, "")
	for _, format := range []string{"json", "xml"} {
		t.Run(format, func(t *testing.T) {
			checkGolden(t, exchangeDump(t, ts.get(t, "discovery."+format)))
		})
	}
}

func TestGoldenServices(t *testing.T) {
	ts := newTestServer(t, "")
	for _, locale := range []string{"fi", "sv", "en"} {
		for _, format := range []string{"json", "xml"} {
			t.Run(locale+"/"+format, func(t *testing.T) {
				checkGolden(t, exchangeDump(t, ts.get(t, "services."+format+"?locale="+locale)))
			})
		}
	}
}

func TestGoldenServiceDefinition(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	for _, locale := range []string{"en", "fi"} {
		for _, format := range []string{"json", "xml"} {
			t.Run(locale+"/"+format, func(t *testing.T) {
				checkGolden(t, exchangeDump(t, ts.get(t, "services/POT."+format+"?locale="+locale)))
			})
		}
	}
	t.Run("no attributes", func(t *testing.T) {
		checkGolden(t, exchangeDump(t, ts.get(t, "services/BIN.xml")))
	})
}

// postedForm is a request full of text that the encoders must escape: an ampersand, markup,
// a carriage return and emoji.
func postedForm() url.Values {
	return url.Values{
		"service_code":      {"POT"},
		"lat":               {"60.1699"},
		"long":              {"24.9384"},
		"address_string":    {"Mannerheimintie 1, 00100 Helsinki"},
		"description":       {"Syvä kuoppa & <halkeama>\r\nrivi 2 🚲"},
		"attribute[DEPTH]":  {"12,5"},
		"attribute[SIDE][]": {"south", "north"},
		"email":             {"maija@example.org"},
		"media_url":         {"https://media.example.org/p/1.jpg?w=800&h=600"},
	}
}

func TestGoldenPost(t *testing.T) {
	for _, format := range []string{"json", "xml"} {
		t.Run(format, func(t *testing.T) {
			ts := newTestServer(t, "catalog.json")
			form := postedForm()
			form.Set("api_key", testKey)
			checkGolden(t, exchangeDump(t, ts.post(t, "requests."+format, form)))
		})
	}
	for _, format := range []string{"json", "xml"} {
		t.Run("batch/"+format, func(t *testing.T) {
			ts := newTestServer(t, "catalog.json")
			form := url.Values{"api_key": {testKey}, "service_code": {"BATCH"}, "address_string": {"Aleksanterinkatu 1"}}
			checkGolden(t, exchangeDump(t, ts.post(t, "requests."+format, form)))
		})
	}
}

func TestGoldenToken(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	ts.createBatch(t)
	for _, format := range []string{"json", "xml"} {
		t.Run(format, func(t *testing.T) {
			checkGolden(t, exchangeDump(t, ts.get(t, "tokens/00000000-0000-4000-8000-000000000001."+format)))
		})
	}
}

func TestGoldenPostedRequest(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	id := ts.create(t, postedForm())
	for _, format := range []string{"json", "xml", "geojson"} {
		t.Run("by id/"+format, func(t *testing.T) {
			checkGolden(t, exchangeDump(t, ts.get(t, "requests/"+id+"."+format+"?extensions=true&locale=fi")))
		})
		t.Run("list/"+format, func(t *testing.T) {
			checkGolden(t, exchangeDump(t, ts.get(t, "requests."+format+"?lat=60.17&long=24.94&radius=500")))
		})
	}
}

// TestGoldenErrors records one response for each error row of the Open311 error table, in
// JSON and XML.
func TestGoldenErrors(t *testing.T) {
	tests := []struct {
		name    string
		request func(format string) *http.Request
	}{
		{"400 several problems", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/open311/v2/requests."+f+"?status=pending&page=0&bbox=1,2,3", nil)
		}},
		{"400 in Finnish", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/open311/v2/requests."+f+"?start_date=eilen&locale=fi", nil)
		}},
		{"400 in Swedish", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/open311/v2/requests."+f+"?page_size=1001&locale=sv", nil)
		}},
		{"403 missing key", func(f string) *http.Request {
			return formRequest("requests."+f, url.Values{"service_code": {"BIN"}, "address_string": {"x"}})
		}},
		{"403 unknown key", func(f string) *http.Request {
			return formRequest("requests."+f, url.Values{"api_key": {"nope"}, "service_code": {"BIN"}, "address_string": {"x"}})
		}},
		{"404 service", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/open311/v2/services/NOPE."+f, nil)
		}},
		{"404 request", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/open311/v2/requests/nope."+f, nil)
		}},
		{"404 jurisdiction", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/open311/v2/services."+f+"?jurisdiction_id=elsewhere", nil)
		}},
		{"404 path", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/open311/v2/nothing."+f, nil)
		}},
		{"405", func(f string) *http.Request {
			return httptest.NewRequest(http.MethodDelete, "/open311/v2/requests."+f, nil)
		}},
		{"413", func(f string) *http.Request {
			return formRequest("requests."+f, url.Values{"api_key": {testKey}, "description": {strings.Repeat("a", 2<<20)}})
		}},
		{"415", func(f string) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests."+f, strings.NewReader(`{"service_code":"BIN"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
	}
	ts := newTestServer(t, "catalog.json")
	for _, tt := range tests {
		for _, format := range []string{"json", "xml"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				checkGolden(t, exchangeDump(t, ts.do(t, tt.request(format))))
			})
		}
	}
	t.Run("404 format", func(t *testing.T) {
		checkGolden(t, exchangeDump(t, ts.get(t, "services.csv")))
	})
}

func formRequest(target string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/open311/v2/"+target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}
