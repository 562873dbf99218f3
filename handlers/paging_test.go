package handlers

import (
	"net/url"
	"strings"
	"testing"
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

// TestUnknownSuffixOfResource checks that a service or request asked for in a format the
// server does not have gets that error, and an unknown one still gets not found.
func TestUnknownSuffixOfResource(t *testing.T) {
	ts := newTestServer(t, "")
	id := ts.create(t, url.Values{"service_code": {"171"}, "lat": {"60.17"}, "long": {"24.94"},
		"description": {"Kuoppa pyörätiellä"}})
	for target, want := range map[string]string{
		"services/176.csv":        `services/176 is not available as \"csv\"`,
		"requests/" + id + ".csv": `requests/` + id + ` is not available as \"csv\"`,
		"services/999.csv":        `service_code \"999.csv\" does not exist`,
		"requests/no-such-id.csv": `service_request_id \"no-such-id.csv\" does not exist`,
	} {
		resp := ts.get(t, target, "Accept-Language", "en")
		body := string(readBody(t, resp))
		if resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", target, resp.StatusCode)
		}
		if !strings.Contains(body, want) {
			t.Errorf("GET %s = %s, want a description with %s", target, body, want)
		}
	}
}
