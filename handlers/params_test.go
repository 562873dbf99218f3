package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/open311-to-go/open311/georeport"
)

var testRules = queryRules{now: testNow, loc: time.UTC, maxSpan: georeport.DefaultWindow}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseListParams(t *testing.T) {
	defaultFrom := testNow.Add(-georeport.DefaultWindow)
	tests := []struct {
		name  string
		query string
		want  georeport.Query
		// wantPage and wantSize default to 1 and 1000.
		wantPage       int
		wantSize       int
		wantExtensions bool
	}{
		{name: "no parameters is the last 90 days",
			want: georeport.Query{RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "empty values count as absent", query: "status=&service_code=&page=&q=&bbox=&lat=&extensions=",
			want: georeport.Query{RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "ids ignore the other filters", query: "service_request_id=a,b,,c&status=pending&start_date=x&bbox=1",
			want: georeport.Query{IDs: []string{"a", "b", "c"}}},
		{name: "ids keep paging", query: "service_request_id=a&page=2&page_size=10&extensions=all",
			want: georeport.Query{IDs: []string{"a"}}, wantPage: 2, wantSize: 10, wantExtensions: true},
		{name: "service codes", query: "service_code=BIN,Public%20Works:Street%20Light",
			want: georeport.Query{ServiceCodes: []string{"BIN", "Public Works:Street Light"}, RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "status in any case", query: "status=OPEN,Closed",
			want: georeport.Query{Statuses: []georeport.Status{"open", "closed"}, RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "both dates", query: "start_date=2026-01-01T00:00:00Z&end_date=2026-01-31",
			want: georeport.Query{RequestedFrom: day("2026-01-01T00:00:00Z"), RequestedTo: day("2026-01-31T00:00:00Z")}},
		{name: "exactly 90 days", query: "start_date=2025-10-01T00:00:00Z&end_date=2025-12-30T00:00:00Z",
			want: georeport.Query{RequestedFrom: day("2025-10-01T00:00:00Z"), RequestedTo: day("2025-12-30T00:00:00Z")}},
		{name: "start alone runs 90 days on", query: "start_date=2025-01-01T00:00:00Z",
			want: georeport.Query{RequestedFrom: day("2025-01-01T00:00:00Z"), RequestedTo: day("2025-04-01T00:00:00Z")}},
		{name: "start alone ends now", query: "start_date=2026-03-01T00:00:00Z",
			want: georeport.Query{RequestedFrom: day("2026-03-01T00:00:00Z"), RequestedTo: testNow}},
		{name: "end alone runs 90 days back", query: "end_date=2025-04-01T00:00:00Z",
			want: georeport.Query{RequestedFrom: day("2025-01-01T00:00:00Z"), RequestedTo: day("2025-04-01T00:00:00Z")}},
		{name: "plus decoded as space", query: "start_date=2026-01-01T02:00:00+02:00&end_date=2026-01-02T02:00:00 02:00",
			want: georeport.Query{RequestedFrom: day("2026-01-01T00:00:00Z"), RequestedTo: day("2026-01-02T00:00:00Z")}},
		{name: "updated after alone ends now", query: "updated_after=2020-01-01T00:00:00Z",
			want: georeport.Query{UpdatedFrom: day("2020-01-01T00:00:00Z"), UpdatedTo: testNow}},
		{name: "updated before alone", query: "updated_before=2020-01-01T00:00:00Z",
			want: georeport.Query{UpdatedTo: day("2020-01-01T00:00:00Z")}},
		{name: "circle without dates sorts by distance", query: "lat=60.17&long=24.94&radius=1000",
			want: georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 60.17, Long: 24.94}, Radius: 1000},
				Order: georeport.NearestFirst, RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "circle with dates sorts by date", query: "lat=60.17&long=24.94&radius=100000&end_date=2026-03-01",
			want: georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 60.17, Long: 24.94}, Radius: 100000},
				RequestedFrom: day("2025-12-01T00:00:00Z"), RequestedTo: day("2026-03-01T00:00:00Z")}},
		{name: "bbox corners in either order", query: "bbox=24.98;60.2;24.9;60.15",
			want: georeport.Query{BBox: &georeport.BBox{MinLong: 24.9, MinLat: 60.15, MaxLong: 24.98, MaxLat: 60.2},
				RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "search words are folded", query: "q=T%C3%B6hryj%C3%A4+SEIN%C3%84SS%C3%84",
			want: georeport.Query{Words: []string{"tohryja", "seinassa"}, RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "agency and detailed status", query: "agency_responsible=Rakennusvirasto&detailed_status=processed,PUBLIC_WORKS_NEW",
			want: georeport.Query{Agency: "Rakennusvirasto", DetailedStatuses: []string{"PROCESSED", "PUBLIC_WORKS_NEW"},
				RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "service object", query: "service_object_id=10844&service_object_type=http://www.hel.fi/servicemap/v2",
			want: georeport.Query{ServiceObjectID: "10844", ServiceObjectType: "http://www.hel.fi/servicemap/v2",
				RequestedFrom: defaultFrom, RequestedTo: testNow}},
		{name: "page and size", query: "page=3&page_size=25&extensions=1",
			want: georeport.Query{RequestedFrom: defaultFrom, RequestedTo: testNow}, wantPage: 3, wantSize: 25, wantExtensions: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, ok := parseQuery(tt.query)
			if !ok {
				t.Fatalf("parseQuery(%q) failed", tt.query)
			}
			got, err := parseListParams(values, testRules)
			if err != nil {
				t.Fatalf("parseListParams(%q) error: %v", tt.query, err)
			}
			page, size := max(tt.wantPage, 1), tt.wantSize
			if size == 0 {
				size = georeport.MaxPageSize
			}
			want := tt.want
			want.Limit, want.Offset = size, (page-1)*size
			want.StandardFields = !tt.wantExtensions // a list without extensions shows only those
			if diff := cmp.Diff(got.query, want, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parseListParams(%q) query (-got +want):\n%s", tt.query, diff)
			}
			if got.page != page || got.pageSize != size || got.extensions != tt.wantExtensions {
				t.Errorf("parseListParams(%q) page, size, extensions = %d, %d, %v, want %d, %d, %v",
					tt.query, got.page, got.pageSize, got.extensions, page, size, tt.wantExtensions)
			}
		})
	}
}

func TestParseListParamsErrors(t *testing.T) {
	tests := []struct {
		query string
		// wantWords must each appear in one of the English descriptions.
		wantWords []string
	}{
		{"status=pending", []string{"status", `"pending"`, "open"}},
		{"status=open,pending", []string{`"pending"`}},
		{"page=0", []string{"page", `"0"`}},
		{"page=-1", []string{"page"}},
		{"page=abc", []string{"page", `"abc"`}},
		{"page=1e3", []string{"page"}},
		{"page=99999999999999999999999", []string{"page"}},
		{"page_size=0", []string{"page_size", "1000"}},
		{"page_size=1001", []string{"page_size", `"1001"`, "1000"}},
		{"page_size=x", []string{"page_size"}},
		{"start_date=yesterday", []string{"start_date", `"yesterday"`, "RFC 3339"}},
		{"end_date=2015-13-45T00:00:00Z", []string{"end_date", "2015-13-45T00:00:00Z"}},
		{"updated_after=12/03/2024", []string{"updated_after", "12/03/2024"}},
		{"updated_before=2024-03-05T25:00:00Z", []string{"updated_before"}},
		{"start_date=2026-02-02&end_date=2026-02-01", []string{"start_date", "end_date", "after"}},
		{"start_date=2025-10-01T00:00:00Z&end_date=2025-12-30T00:00:01Z", []string{"90 days"}},
		{"updated_after=2026-02-02&updated_before=2026-02-01", []string{"updated_after", "updated_before"}},
		{"lat=60&long=24", []string{"radius"}},
		{"radius=100", []string{"lat, long"}},
		{"lat=60&long=24&radius=0", []string{"radius", `"0"`, "100000"}},
		{"lat=60&long=24&radius=-5", []string{"radius"}},
		{"lat=60&long=24&radius=100001", []string{"radius"}},
		{"lat=60&long=24&radius=abc", []string{"radius", `"abc"`}},
		{"lat=91&long=24&radius=100", []string{"lat", `"91"`, "-90"}},
		{"lat=NaN&long=Inf&radius=1e999", []string{"lat", "long", "radius"}},
		{"lat=1&long=1&radius=0x10", []string{"radius"}},
		{"bbox=1,2,3", []string{"bbox"}},
		{"bbox=1,2,3,4,5", []string{"bbox"}},
		{"bbox=a,b,c,d", []string{"bbox"}},
		{"bbox=;;;", []string{"bbox"}},
		{"bbox=1e999,0,1,1", []string{"bbox"}},
		{"bbox=-181,0,0,1", []string{"bbox"}},
		{"bbox=0,95,1,96", []string{"bbox"}},
		{"service_object_id=x", []string{"service_object_id", "service_object_type"}},
		{"service_object_type=x", []string{"service_object_type", "service_object_id"}},
		{"q=*", []string{"q", "word"}},
		{"q=" + strings.Repeat("a+", 10) + "a1+b1+c1+d1+e1+f1+g1+h1+i1+j1+k1+l1+m1+n1+o1+p1+q1+r1+s1+t1", []string{"q", "21", "20"}},
		{"extensions=maybe", []string{"extensions", `"maybe"`}},
		{"service_code=" + strings.Repeat("a,", 101), []string{"service_code", "100"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			values, ok := parseQuery(tt.query)
			if !ok {
				t.Fatalf("parseQuery(%q) failed", tt.query)
			}
			_, err := parseListParams(values, testRules)
			var e *georeport.Error
			if !errors.As(err, &e) || e.Kind != georeport.Invalid {
				t.Fatalf("parseListParams(%q) error = %v, want an invalid error", tt.query, err)
			}
			var text []string
			for _, p := range e.Problems {
				text = append(text, p.Describe("en"))
			}
			all := strings.Join(text, " | ")
			for _, word := range tt.wantWords {
				if !strings.Contains(all, word) {
					t.Errorf("parseListParams(%q) error %q does not contain %q", tt.query, all, word)
				}
			}
		})
	}
}

func TestParseListParamsReportsTogether(t *testing.T) {
	values := url.Values{"status": {"pending"}, "page": {"0"}, "bbox": {"x"}}
	_, err := parseListParams(values, testRules)
	var e *georeport.Error
	if !errors.As(err, &e) {
		t.Fatalf("parseListParams(%v) error = %v, want *georeport.Error", values, err)
	}
	if len(e.Problems) != 3 {
		t.Errorf("parseListParams(%v) reported %d problems, want 3: %v", values, len(e.Problems), err)
	}
}

func TestSplitSuffix(t *testing.T) {
	tests := []struct {
		path       string
		wantPath   string
		wantFormat Format
		wantSuffix bool
	}{
		{"/open311/v2/services.json", "/open311/v2/services", JSON, true},
		{"/open311/v2/services.xml", "/open311/v2/services", XML, true},
		{"/open311/v2/requests.geojson", "/open311/v2/requests", GeoJSON, true},
		{"/open311/v2/services", "/open311/v2/services", JSON, false},
		{"/open311/v2/services.csv", "/open311/v2/services.csv", JSON, false},
		{"/open311/v2/requests/fx.1.2", "/open311/v2/requests/fx.1.2", JSON, false},
		{"/open311/v2/requests/fx.1.2.xml", "/open311/v2/requests/fx.1.2", XML, true},
		{"/open311/v2/services/Public%20Works%3AStreet%20Light.json", "/open311/v2/services/Public%20Works%3AStreet%20Light", JSON, true},
		{"/open311/v2/v1.0/services", "/open311/v2/v1.0/services", JSON, false},
		{"/open311/v2/requests/.json", "/open311/v2/requests/.json", JSON, false},
	}
	for _, tt := range tests {
		path, format, ok := splitSuffix(tt.path)
		if path != tt.wantPath || format != tt.wantFormat || ok != tt.wantSuffix {
			t.Errorf("splitSuffix(%q) = %q, %v, %v, want %q, %v, %v", tt.path, path, format, ok, tt.wantPath, tt.wantFormat, tt.wantSuffix)
		}
	}
}

// FuzzParseListParams checks that no query string makes the parser panic, and that every
// error it returns is a client error with a description.
func FuzzParseListParams(f *testing.F) {
	for _, seed := range []string{
		"", "status=open", "lat=60&long=24&radius=1000", "bbox=1,2,3,4", "start_date=2024-01-01&end_date=2024-02-01",
		"service_request_id=a,b", "q=t%C3%B6hryj%C3%A4", "page=2&page_size=10", "lat=NaN&long=Inf&radius=1e999",
		"start_date=%00", "q=%22", "page=2147483648&page_size=1000", "updated_after=2024-01-01T00:00:00+02:00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		values, _ := parseQuery(query)
		p, err := parseListParams(values, testRules)
		if err != nil {
			var e *georeport.Error
			if !errors.As(err, &e) || e.Kind != georeport.Invalid || len(e.Problems) == 0 {
				t.Fatalf("parseListParams(%q) error = %v, want an invalid error with problems", query, err)
			}
			for _, problem := range e.Problems {
				if problem.Describe("fi") == "" {
					t.Fatalf("parseListParams(%q) has an empty description", query)
				}
			}
			return
		}
		if p.query.Limit < 1 || p.query.Limit > georeport.MaxPageSize || p.query.Offset < 0 {
			t.Fatalf("parseListParams(%q) limit %d offset %d are out of range", query, p.query.Limit, p.query.Offset)
		}
		if c := p.query.Circle; c != nil && (c.Radius <= 0 || c.Radius > georeport.MaxRadius) {
			t.Fatalf("parseListParams(%q) radius %v is out of range", query, c.Radius)
		}
	})
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw    string
		want   url.Values
		wantOK bool
	}{
		{"bbox=24.9;60.15;24.98;60.2", url.Values{"bbox": {"24.9;60.15;24.98;60.2"}}, true},
		{"a=1&&b=2+3&a=4", url.Values{"a": {"1", "4"}, "b": {"2 3"}}, true},
		{"q=%C3%B6&flag", url.Values{"q": {"ö"}, "flag": {""}}, true},
		{"q=%&page=2", url.Values{"page": {"2"}}, false},
		{"", url.Values{}, true},
	}
	for _, tt := range tests {
		got, ok := parseQuery(tt.raw)
		if ok != tt.wantOK {
			t.Errorf("parseQuery(%q) ok = %v, want %v", tt.raw, ok, tt.wantOK)
		}
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("parseQuery(%q) (-got +want):\n%s", tt.raw, diff)
		}
	}
}

// TestBlankSearchIsAbsent checks that a q of spaces alone adds no words, as an empty q does,
// and that a q with words keeps each of them once, so that repeats do not count against the
// limit of words.
func TestBlankSearchIsAbsent(t *testing.T) {
	for _, tt := range []struct {
		query string
		words []string
	}{{"q=", nil}, {"q=%20%20%20", nil}, {"q=+%09", nil}, {"q=%20Kuoppa%20", []string{"kuoppa"}},
		{"q=katu+Kuoppa+KATU+" + strings.Repeat("katu+", 30), []string{"katu", "kuoppa"}}} {
		values, ok := parseQuery(tt.query)
		if !ok {
			t.Fatalf("parseQuery(%q) failed", tt.query)
		}
		params, err := parseListParams(values, testRules)
		if err != nil {
			t.Errorf("%s: error = %v", tt.query, err)
			continue
		}
		if !slices.Equal(params.query.Words, tt.words) {
			t.Errorf("%s: words = %q, want %q", tt.query, params.query.Words, tt.words)
		}
	}
}

// TestRepeatedParameterConflicts checks that a single-value parameter sent twice with
// different values fails a GET and a POST with a 400 naming it, while the same value twice,
// an empty repeat and a repeated list parameter are accepted.
func TestRepeatedParameterConflicts(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	rejected := []struct{ target, name string }{
		{"requests.json?start_date=2026-01-01&start_date=2026-02-01", "start_date"},
		{"requests.json?lat=60.1&long=24.9&radius=500&radius=50000", "radius"},
		{"requests.json?page_size=10&page_size=20", "page_size"},
		{"requests.json?bbox=24,60,25,61&bbox=24,60,25,62", "bbox"},
		{"services.json?locale=fi&locale=sv", "locale"},
		{"requests/x.json?jurisdiction_id=a&jurisdiction_id=b", "jurisdiction_id"},
	}
	for _, tt := range rejected {
		resp := ts.get(t, tt.target)
		body := string(readBody(t, resp))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"description":"`+tt.name+" ") {
			t.Errorf("GET %s = %d %s, want 400 naming %s", tt.target, resp.StatusCode, body, tt.name)
		}
	}
	// Several problems come in the order of the parameters' names, whatever the query's.
	for range 5 {
		body := string(readBody(t, ts.get(t, "requests.json?radius=1&radius=2&q=%FF&bbox=1&bbox=2")))
		bbox, radius, q := strings.Index(body, `"bbox was sent`), strings.Index(body, `"radius was sent`), strings.Index(body, `"q is not valid`)
		if bbox < 0 || radius < bbox || q < radius {
			t.Fatalf("problems = %s, want bbox, then radius, then q", body)
		}
	}

	accepted := []string{
		"requests.json?page_size=10&page_size=10",
		"requests.json?page_size=&page_size=10",
		"requests.json?service_code=BIN&service_code=POT&status=open&status=closed",
	}
	for _, target := range accepted {
		if resp := ts.get(t, target); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", target, resp.StatusCode, readBody(t, resp))
		}
	}

	for name, value := range map[string]string{"locale": "\xff", "jurisdiction_id": "x\xfe"} {
		form := validForm()
		form.Set(name, value)
		resp := ts.post(t, "requests.json", form)
		body := string(readBody(t, resp))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, name+" is not valid UTF-8") {
			t.Errorf("POST with %s %q = %d %s, want 400 saying it is not valid UTF-8", name, value, resp.StatusCode, body)
		}
	}

	form := validForm()
	form.Add("api_key", "another-key")
	resp := ts.post(t, "requests.json", form)
	body := string(readBody(t, resp))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "api_key was sent more than once") {
		t.Errorf("POST with two api_key values = %d %s, want 400 naming api_key", resp.StatusCode, body)
	}
}

// TestQueryInvalidUTF8 checks that a parameter whose value is not valid UTF-8 gets a 400 that
// names the encoding, instead of a search without words or a filter that matches nothing.
func TestQueryInvalidUTF8(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	for target, name := range map[string]string{
		"requests.json?q=%FF%FE":                       "q",
		"requests.json?service_code=BIN,%FF":           "service_code",
		"requests.json?agency_responsible=Rakennus%E4": "agency_responsible",
	} {
		resp := ts.get(t, target)
		body := string(readBody(t, resp))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, name+" is not valid UTF-8 text") {
			t.Errorf("GET %s = %d %s, want 400 saying %s is not valid UTF-8", target, resp.StatusCode, body, name)
		}
	}
}

// TestListParamsListEachValueOnce checks that a list parameter whose values repeat, in one
// occurrence or across several, filters on each value once, so that no request is listed
// twice.
func TestListParamsListEachValueOnce(t *testing.T) {
	values, _ := parseQuery("service_code=171,176&service_code=176,171&status=open,OPEN,closed&detailed_status=a,A")
	p, err := parseListParams(values, queryRules{now: testNow, loc: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.query.ServiceCodes, []string{"171", "176"}; !slices.Equal(got, want) {
		t.Errorf("service codes = %v, want %v", got, want)
	}
	if got, want := p.query.Statuses, []georeport.Status{georeport.StatusOpen, georeport.StatusClosed}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	if got, want := p.query.DetailedStatuses, []string{"A"}; !slices.Equal(got, want) {
		t.Errorf("detailed statuses = %v, want %v", got, want)
	}

	values, _ = parseQuery("service_request_id=x,y,x")
	p, err = parseListParams(values, queryRules{now: testNow, loc: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.query.IDs, []string{"x", "y"}; !slices.Equal(got, want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
}
