package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/open311-to-go/open311/georeport"
)

// TestPageLinksFixWindowEnd checks that the page links of a list whose window ends now carry
// that end as end_date, so that requests filed between two page reads do not shift the pages.
// A request with its own end_date keeps it.
func TestPageLinksFixWindowEnd(t *testing.T) {
	ts := newTestServer(t, "")
	for _, description := range []string{"Ensimmäinen kuoppa", "Toinen kuoppa tiellä", "Kolmas kuoppa tiellä"} {
		ts.create(t, url.Values{"service_code": {"171"}, "lat": {"60.17"}, "long": {"24.94"}, "description": {description}})
	}

	resp := ts.get(t, "requests.json?page_size=1")
	readBody(t, resp)
	link := resp.Header.Get("Link")
	if !strings.Contains(link, "end_date=2026-03-05T08%3A15%3A30Z") {
		t.Errorf("Link %q has no end_date of the window's end, 2026-03-05T08:15:30Z", link)
	}
	if got := resp.Header.Get("X-Result-Count"); got != "3" {
		t.Errorf("X-Result-Count = %s, want 3", got)
	}

	next := strings.TrimPrefix(strings.SplitN(link, ">", 2)[0], "<http://open311.test/open311/v2/")
	second := ts.get(t, next)
	body := readBody(t, second)
	if second.StatusCode != 200 || !strings.Contains(string(body), "Toinen kuoppa") {
		t.Errorf("GET %s = %d %s, want the second newest request", next, second.StatusCode, body)
	}

	resp = ts.get(t, "requests.json?page_size=1&end_date=2026-03-05T08:00:00Z&start_date=2026-03-01")
	readBody(t, resp)
	if link := resp.Header.Get("Link"); strings.Contains(link, "08%3A15%3A30") {
		t.Errorf("Link %q replaced the request's own end_date", link)
	}
}

// TestPageLinksPastLastPage checks that a page past the last links back: the page right after
// the last one with rel="prev", and a page further on with rel="last".
func TestPageLinksPastLastPage(t *testing.T) {
	ts := newTestServer(t, "")
	for _, description := range []string{"Ensimmäinen kuoppa", "Toinen kuoppa tiellä", "Kolmas kuoppa tiellä"} {
		ts.create(t, url.Values{"service_code": {"171"}, "lat": {"60.17"}, "long": {"24.94"}, "description": {description}})
	}
	for page, want := range map[string]string{"4": `page=3&page_size=1>; rel="prev"`, "9": `page=3&page_size=1>; rel="last"`} {
		resp := ts.get(t, "requests.json?page_size=1&page="+page)
		readBody(t, resp)
		link := resp.Header.Get("Link")
		if !strings.Contains(link, want) {
			t.Errorf("page %s of 3: Link %q, want it to contain %q", page, link, want)
		}
		if strings.Contains(link, `rel="next"`) {
			t.Errorf("page %s of 3: Link %q has a next page", page, link)
		}
	}
}

// TestUnknownSuffixOfResource checks that a service or request asked for in a format the
// server does not have gets that error, and an unknown one still gets not found.
func TestUnknownSuffixOfResource(t *testing.T) {
	ts := newTestServer(t, "")
	id := ts.create(t, url.Values{"service_code": {"171"}, "lat": {"60.17"}, "long": {"24.94"},
		"description": {"Kuoppa pyörätiellä"}})
	checkNotFound(t, ts, map[string]string{
		"services/176.csv":        `services/176 is not available as \"csv\"`,
		"requests/" + id + ".csv": `requests/` + id + ` is not available as \"csv\"`,
		"services/999.csv":        `service_code \"999.csv\" does not exist`,
		"requests/no-such-id.csv": `service_request_id \"no-such-id.csv\" does not exist`,
	})
}

// TestUnknownSuffixOtherMethods checks that every method gets the 404 of an unknown format
// on an item path such as services/176.csv, while an id that contains a dot is still an item
// whose other methods get 405.
func TestUnknownSuffixOtherMethods(t *testing.T) {
	ts := newTestServer(t, "")
	id := ts.create(t, url.Values{"service_code": {"171"}, "lat": {"60.17"}, "long": {"24.94"},
		"description": {"Kuoppa pyörätiellä"}})
	dotted := georeport.Request{ID: "a.b", ServiceCode: "171", Status: georeport.StatusOpen,
		Description: "Kuoppa", Requested: testNow.AddDate(0, 0, -1)}
	if _, err := ts.store.ImportRequests(context.Background(), []georeport.Request{dotted}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target string
		wantStatus     int
		want           string
	}{
		{http.MethodPost, "services/176.csv", 404, `services/176 is not available as \"csv\"; use json or xml`},
		{http.MethodDelete, "requests/" + id + ".csv", 404, `requests/` + id + ` is not available as \"csv\"`},
		{http.MethodOptions, "services/176.csv", 404, `services/176 is not available as \"csv\"`},
		{http.MethodPost, "services/999.csv", 405, `POST is not allowed on /open311/v2/services/999.csv`},
		{http.MethodPut, "requests/a.b", 405, `PUT is not allowed on /open311/v2/requests/a.b`},
	}
	for _, tt := range tests {
		resp := ts.do(t, httptest.NewRequest(tt.method, "/open311/v2/"+tt.target, nil), "Accept-Language", "en")
		body := string(readBody(t, resp))
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.target, resp.StatusCode, tt.wantStatus)
		}
		if !strings.Contains(body, tt.want) {
			t.Errorf("%s %s = %s, want a description with %s", tt.method, tt.target, body, tt.want)
		}
	}
}

// TestUnknownSuffixOfToken checks that a token asked for in a format the server does not
// have gets that error, as services and requests do.
func TestUnknownSuffixOfToken(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	const token = "00000000-0000-4000-8000-000000000001" // the token of the first batch request
	ts.createBatch(t)
	checkNotFound(t, ts, map[string]string{
		"tokens/" + token + ".csv": `tokens/` + token + ` is not available as \"csv\"; use json or xml`,
		"tokens/no-such-token.csv": `token \"no-such-token.csv\" does not exist`,
	})
}

// TestNotFoundNamesRequestedPath checks that a 404 quotes the path as sent, with every
// suffix, and that a known suffix makes an unknown one before it part of the code.
func TestNotFoundNamesRequestedPath(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	checkNotFound(t, ts, map[string]string{
		"requests.json.xml":     `"/open311/v2/requests.json.xml" is not a resource of this server`, // an XML body
		"foo.json":              `\"/open311/v2/foo.json\" is not a resource of this server`,
		"requests.":             `\"/open311/v2/requests.\" is not a resource of this server`,
		"requests..json":        `\"/open311/v2/requests..json\" is not a resource of this server`,
		"services/POT.csv.json": `service_code \"POT.csv\" does not exist`,
		"f%6Fo":                 `\"/open311/v2/f%6Fo\" is not a resource of this server`,
		"foo%2Fbar":             `\"/open311/v2/foo%2Fbar\" is not a resource of this server`,
	})
}

// checkNotFound gets each target of cases in English and checks for 404 with a description
// that contains the text that cases expect for it.
func checkNotFound(t *testing.T, ts *testServer, cases map[string]string) {
	t.Helper()
	for target, want := range cases {
		resp := ts.get(t, target, "Accept-Language", "en")
		body := string(readBody(t, resp))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, resp.StatusCode)
		}
		if !strings.Contains(body, want) {
			t.Errorf("GET %s = %s, want a description with %s", target, body, want)
		}
	}
}

// TestCircleLinksKeepNearestFirst follows the next links of a circle without dates, one
// request a page, and requires every request once, nearest first.
func TestCircleLinksKeepNearestFirst(t *testing.T) {
	ts := newTestServer(t, "")
	// Filed nearest first, so that newest first would be the reverse of nearest first.
	for _, lat := range []string{"60.1710", "60.1720", "60.1730", "60.1740"} {
		ts.create(t, url.Values{"service_code": {"171"}, "lat": {lat}, "long": {"24.94"}, "description": {"Kuoppa tiellä " + lat}})
	}

	target := "requests.json?lat=60.17&long=24.94&radius=1000&page_size=1"
	var distances []float64
	seen := map[string]bool{}
	for target != "" && len(distances) < 10 {
		resp := ts.get(t, target)
		body := readBody(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", target, resp.StatusCode, body)
		}
		var page []struct {
			ID       string  `json:"service_request_id"`
			Distance float64 `json:"distance"`
		}
		if err := json.Unmarshal(body, &page); err != nil || len(page) != 1 {
			t.Fatalf("GET %s: %d requests, %v; want 1", target, len(page), err)
		}
		if seen[page[0].ID] {
			t.Errorf("GET %s repeats request %s", target, page[0].ID)
		}
		seen[page[0].ID] = true
		distances = append(distances, page[0].Distance)

		link := resp.Header.Get("Link")
		if strings.Contains(link, "end_date") {
			t.Errorf("Link %q adds an end_date, which would list the next page newest first", link)
		}
		target = ""
		for _, part := range strings.Split(link, ", ") {
			if strings.HasSuffix(part, `rel="next"`) {
				target = strings.TrimPrefix(strings.SplitN(part, ">", 2)[0], "<http://open311.test/open311/v2/")
			}
		}
	}
	if len(distances) != 4 {
		t.Errorf("the links led to %d requests, want 4", len(distances))
	}
	for i := 1; i < len(distances); i++ {
		if distances[i] < distances[i-1] {
			t.Errorf("distances %v are not nearest first", distances)
			break
		}
	}
}
