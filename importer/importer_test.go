package importer

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Helsinki on machines without a zone database

	"github.com/google/go-cmp/cmp"
	"github.com/open311-to-go/open311/georeport"
)

// The expectations on files under ../testdata come from the files themselves, whose sources
// testdata/SOURCES.md lists.

// result is everything a Reader returned for one file.
type result struct {
	reader  *Reader
	records []Record
	bad     []*RecordError
	err     error // the error that ended reading; nil when it ended at io.EOF
}

// requests returns the requests that were read.
func (r result) requests() []georeport.Request {
	var out []georeport.Request
	for _, rec := range r.records {
		if rec.Request != nil {
			out = append(out, *rec.Request)
		}
	}
	return out
}

// services returns the service list entries that were read.
func (r result) services() []Service {
	var out []Service
	for _, rec := range r.records {
		if rec.Service != nil {
			out = append(out, *rec.Service)
		}
	}
	return out
}

// readFile opens a file under ../testdata and reads every record.
func readFile(t *testing.T, path string, opts Options) result {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := Open(f, path, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	return readAll(t, rd)
}

// readString opens text named name and reads every record.
func readString(t *testing.T, name, text string, opts Options) result {
	t.Helper()
	rd, err := Open(strings.NewReader(text), name, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", name, err)
	}
	return readAll(t, rd)
}

// readAll calls Next until io.EOF or an error that ends reading, and checks that record
// numbers count up from 1 across good and bad records.
func readAll(t *testing.T, rd *Reader) result {
	t.Helper()
	res := result{reader: rd}
	for number := 1; ; number++ {
		rec, err := rd.Next()
		if err == io.EOF {
			return res
		}
		var bad *RecordError
		switch {
		case errors.As(err, &bad):
			if bad.Number != number {
				t.Errorf("RecordError.Number = %d, want %d", bad.Number, number)
			}
			res.bad = append(res.bad, bad)
		case err != nil:
			res.err = err
			return res
		default:
			if rec.Number != number {
				t.Errorf("Record.Number = %d, want %d", rec.Number, number)
			}
			res.records = append(res.records, rec)
		}
	}
}

// utc returns a time in UTC, to the second.
func utc(year int, month time.Month, day, hour, minute, second int) time.Time {
	return time.Date(year, month, day, hour, minute, second, 0, time.UTC)
}

func TestHelsinkiRequestCounts(t *testing.T) {
	res := readFile(t, "helsinki/requests.json", Options{})
	if res.err != nil {
		t.Fatalf("Next() = %v, want io.EOF", res.err)
	}
	if res.reader.Kind() != Requests {
		t.Errorf("Kind() = %v, want %v", res.reader.Kind(), Requests)
	}
	if res.reader.Format() != JSON {
		t.Errorf("Format() = %v, want %v", res.reader.Format(), JSON)
	}
	for _, bad := range res.bad {
		t.Errorf("bad record: %v", bad)
	}

	requests := res.requests()
	var open, closed, mediaURLs, tasks, named, unnamed, noCode, noLocation int
	for _, r := range requests {
		switch r.Status {
		case georeport.StatusOpen:
			open++
		case georeport.StatusClosed:
			closed++
		}
		mediaURLs += len(r.MediaURLs)
		tasks += len(r.Tasks)
		if r.ServiceName != "" {
			named++
		} else {
			unnamed++
		}
		if r.ServiceCode == "" {
			noCode++
		}
		if r.Location == nil {
			noLocation++
		}
		if r.Requested.IsZero() || r.Updated.IsZero() {
			t.Errorf("request %s: Requested = %v, Updated = %v, want both set", r.ID, r.Requested, r.Updated)
		}
	}

	counts := []struct {
		name      string
		got, want int
	}{
		{"requests", len(requests), 1380},
		{"open", open, 21},
		{"closed", closed, 1359},
		{"media URLs in media_urls", mediaURLs, 596},
		{"tasks", tasks, 5548},
		{"service_name filled", named, 1132},
		{"service_name empty", unnamed, 248},
		{"service_code empty, kept", noCode, 2},
		{"lat and long both 0, no location", noLocation, 21},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if got, want := res.reader.InputOffset(), int64(3098991); got != want {
		t.Errorf("InputOffset() at the end = %d, want the file size %d", got, want)
	}
}

func TestHelsinkiFirstRequest(t *testing.T) {
	res := readFile(t, "helsinki/requests.json", Options{})
	requests := res.requests()
	if len(requests) < 2 {
		t.Fatalf("read %d requests, want 1380", len(requests))
	}

	media := "https://asiointi.hel.fi/palautews/rest/v1/attachment/3c1undtub14dukl3bdt8.jpg"
	want := georeport.Request{
		ID:          "1ar09ts10t4qdko74nmj",
		ServiceCode: "178",
		Status:      georeport.StatusClosed,
		StatusNotes: "Hei!\n\nKiitos palautteestanne. Viestinne on välitetty ko. alueen tarkastajalle " +
			"alueidenkäyttöyksikköön, joka valvoo tilapäisiä liikennejärjestelyjä ja kaivauksia katu- ja " +
			"puistoalueella tehtävissä töissä. Hän on yhteydessä työmaasta vastaavaan urakoitsijaan.\n" +
			"Terveisin\nRakennusviraston asiakaspalvelu\n",
		Description:       "Rakennusremontti aiheutta vaaratilanteita pyöräilijöitten ja jalankulkijoitten välille",
		AgencyResponsible: "Rakennusvirasto",
		Requested:         utc(2015, 3, 4, 14, 40, 4),
		Updated:           utc(2015, 3, 5, 10, 3, 12),
		// The file gives 2015-03-20T05:10:41.818Z, and the domain keeps seconds.
		Expected:       utc(2015, 3, 20, 5, 10, 41),
		Address:        "Sturenkatu 33, 00550 Helsinki, Suomi",
		Location:       &georeport.Point{Lat: 60.1952311, Long: 24.9588253},
		MediaURL:       media,
		Title:          "Liikennejärjestelyt puuttuvat",
		DetailedStatus: "PROCESSED,PUBLIC_WORKS_COMPLETED",
		MediaURLs:      []string{media},
		Tasks: []georeport.Task{
			{State: "re_assigned", Type: "assigned", OwnerName: "Rakennusvirasto",
				Created: utc(2015, 3, 4, 14, 40, 6), Modified: utc(2015, 3, 5, 8, 13, 24)},
			{State: "closed", Type: "wait_for_answer", OwnerName: "Rakennusvirasto",
				Created: utc(2015, 3, 5, 8, 13, 24), Modified: utc(2015, 3, 5, 8, 13, 58)},
			{State: "closed", Type: "moved_to_other_system", OwnerName: "Rakennusvirasto",
				Created: utc(2015, 3, 5, 8, 13, 31), Modified: utc(2015, 3, 5, 8, 13, 58)},
			{State: "completed", Type: "wait_for_answer", OwnerName: "Rakennusvirasto",
				Created: utc(2015, 3, 5, 10, 1, 21), Modified: utc(2015, 3, 5, 10, 2, 57)},
		},
		Visibility: georeport.Public,
	}
	if diff := cmp.Diff(requests[0], want); diff != "" {
		t.Errorf("first request mismatch (-got +want):\n%s", diff)
	}

	wantDescription := "Voiko ilmaiselle kellonympäripaikalle säilöä mitä vaan?  Vaaleja ja kesää varrotessa. " +
		"Vaikka mökkihirret tontin ostoa odotellessa?\r\nNimimerkki Tiedosta kiitollinen veron maksaja."
	if got := requests[1].Description; got != wantDescription {
		t.Errorf("second request's Description = %q, want %q", got, wantDescription)
	}
}

func TestTorontoXML(t *testing.T) {
	want := georeport.Request{
		ID:                "101005420892",
		Status:            georeport.StatusOpen,
		StatusNotes:       "In progress - The request has been scheduled.",
		ServiceName:       "Road - Pot hole",
		ServiceCode:       "CSROWR-12",
		AgencyResponsible: "311 Toronto",
		// 2018-07-30T00:01:00-04:00, and an empty <updated_datetime/> is the same instant.
		Requested:  utc(2018, 7, 30, 4, 1, 0),
		Updated:    utc(2018, 7, 30, 4, 1, 0),
		Expected:   utc(2018, 8, 3, 4, 1, 0),
		Address:    "Warden Ave / Freeman St, Scarborough",
		AddressID:  "13459430",
		Location:   &georeport.Point{Lat: 43.691104288, Long: -79.272306875},
		Visibility: georeport.Public,
	}

	for _, path := range []string{"toronto/requests_single.xml", "toronto/requests_many.xml"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res := readFile(t, path, Options{})
			if res.err != nil || len(res.bad) > 0 {
				t.Fatalf("read %s: error %v, bad records %v", path, res.err, res.bad)
			}
			if res.reader.Kind() != Requests || res.reader.Format() != XML {
				t.Errorf("Kind(), Format() = %v, %v, want requests, xml", res.reader.Kind(), res.reader.Format())
			}
			requests := res.requests()
			if len(requests) == 0 {
				t.Fatal("read no requests")
			}
			if diff := cmp.Diff(requests[0], want); diff != "" {
				t.Errorf("first request mismatch (-got +want):\n%s", diff)
			}
			_, offset := requests[0].Requested.Zone()
			if offset != -4*60*60 {
				t.Errorf("Requested zone offset = %d s, want -14400 s as the file gives it", offset)
			}
		})
	}

	res := readFile(t, "toronto/requests_many.xml", Options{})
	requests := res.requests()
	if len(requests) != 2 {
		t.Fatalf("requests_many.xml: read %d requests, want 2", len(requests))
	}
	if got := requests[1].ID; got != "101005420894" {
		t.Errorf("second ID = %q, want 101005420894", got)
	}
}

func TestChicagoJSON(t *testing.T) {
	res := readFile(t, "chicago/service_requests.json", Options{})
	if res.err != nil || len(res.bad) > 0 {
		t.Fatalf("error %v, bad records %v", res.err, res.bad)
	}
	want := []georeport.Request{
		{
			ID:                "14-01100669",
			Status:            georeport.StatusOpen,
			ServiceName:       "Alley Light Out",
			ServiceCode:       "4ffa9cad6018277d4000007b",
			AgencyResponsible: "Division of Electrical Operations CDOT",
			Requested:         utc(2014, 7, 12, 15, 58, 43), // 10:58:43-05:00
			Updated:           utc(2014, 7, 12, 16, 8, 21),
			Address:           "1540 W 17TH ST, CHICAGO, IL, 60608",
			Location:          &georeport.Point{Lat: 41.858724777757864, Long: -87.66475146237676},
			Visibility:        georeport.Public,
		},
		{
			ID:                "14-01100627",
			Status:            georeport.StatusOpen,
			StatusNotes:       "Locked",
			ServiceName:       "Building Violation",
			ServiceCode:       "4fd3bd72e750846c530000cd",
			AgencyResponsible: "DOB - Conservation",
			Requested:         utc(2014, 7, 12, 15, 48, 56),
			Updated:           utc(2014, 7, 12, 16, 8, 20),
			Address:           "7408 S NORMAL AVE, CHICAGO, IL, 60621",
			Location:          &georeport.Point{Lat: 41.759712056258536, Long: -87.6369602073906},
			Visibility:        georeport.Public,
		},
	}
	if diff := cmp.Diff(res.requests(), want); diff != "" {
		t.Errorf("requests mismatch (-got +want):\n%s", diff)
	}
}

func TestGiessenServices(t *testing.T) {
	res := readFile(t, "giessen/services.xml", Options{})
	if res.err != nil || len(res.bad) > 0 {
		t.Fatalf("error %v, bad records %v", res.err, res.bad)
	}
	if res.reader.Kind() != Services || res.reader.Format() != XML {
		t.Errorf("Kind(), Format() = %v, %v, want services, xml", res.reader.Kind(), res.reader.Format())
	}
	realtime := func(code, name string) Service { return Service{Code: code, Name: name, Type: "realtime"} }
	want := []Service{
		realtime("015", "Abwasser und Wasser"),
		realtime("010", "Ampel defekt"),
		realtime("013", "Laterne defekt"),
		{Code: "012", Name: "Verkehrsschild beschädigt", Type: "realtime",
			Description: "Report graffiti on a building you own.", Keywords: "graffiti, paintings"},
		{Code: "011", Name: "Straßen- und Gehwegschäden", Type: "realtime",
			Description: "Litter Basket Request or Complaint", Keywords: "litter, trash, garbage"},
		realtime("016", "Schrottautos und -Fahrräder"),
		realtime("017", "Wilde Müllkippe, Sperrmüll"),
		realtime("014", "Grünflächen und Spielplätze"),
	}
	if diff := cmp.Diff(res.services(), want); diff != "" {
		t.Errorf("services mismatch (-got +want):\n%s", diff)
	}
}

func TestHelsinkiServiceLists(t *testing.T) {
	tests := []struct {
		path      string
		want171   Service
		wantCodes string
	}{
		{
			path: "helsinki/services.json",
			want171: Service{Code: "171", Name: "Potholes", Description: "Report potholes in public streets.",
				Keywords: "pothole,street condition", Group: "Traffic and street condition", Type: "realtime"},
		},
		{
			path: "helsinki/services_fi.json",
			want171: Service{Code: "171", Name: "Katujen kunto", Description: "Onko tiessä kuoppa? Anna palautetta katujen kuntoon liittyen.",
				Keywords: "tie,kuoppa", Group: "Katujen kunto ja liikenne", Type: "realtime"},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			res := readFile(t, tt.path, Options{})
			if res.err != nil || len(res.bad) > 0 {
				t.Fatalf("error %v, bad records %v", res.err, res.bad)
			}
			services := res.services()
			var codes []string
			for _, s := range services {
				codes = append(codes, s.Code)
			}
			if got, want := strings.Join(codes, ","), "172,246,176,171,198,199,174,211,234,180"; got != want {
				t.Errorf("codes = %s, want %s", got, want)
			}
			if len(services) < 4 {
				t.Fatalf("read %d services, want 10", len(services))
			}
			if diff := cmp.Diff(services[3], tt.want171); diff != "" {
				t.Errorf("service 171 mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestSwedishListNotUTF8(t *testing.T) {
	f, err := os.Open("../testdata/helsinki/services_sv.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	_, err = Open(f, "helsinki/services_sv.json", Options{})
	var encodingErr *EncodingError
	if !errors.As(err, &encodingErr) {
		t.Fatalf("Open() = %v, want an *EncodingError", err)
	}
	want := EncodingError{File: "helsinki/services_sv.json", Offset: 130, Byte: 0xe4, Charset: UTF8, Record: 1}
	if diff := cmp.Diff(*encodingErr, want, cmp.AllowUnexported(EncodingError{})); diff != "" {
		t.Errorf("EncodingError mismatch (-got +want):\n%s", diff)
	}
	for _, part := range []string{"helsinki/services_sv.json", "offset 130", "charset latin1"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("Open() error = %q, want it to contain %q", err, part)
		}
	}
}

func TestSwedishListAsLatin1(t *testing.T) {
	res := readFile(t, "helsinki/services_sv.json", Options{Charset: Latin1})
	if res.err != nil || len(res.bad) > 0 {
		t.Fatalf("error %v, bad records %v", res.err, res.bad)
	}
	services := res.services()
	if len(services) != 10 {
		t.Fatalf("read %d services, want 10", len(services))
	}
	names := map[string]string{}
	for _, s := range services {
		names[s.Code] = s.Name
	}
	for code, want := range map[string]string{"198": "Vägmärken", "246": "Sanitation kränkning", "171": "Potthål"} {
		if names[code] != want {
			t.Errorf("service %s: Name = %q, want %q", code, names[code], want)
		}
	}
	if got, want := services[0].Description, "Ge respons om du hittar egendom eller utrustning är trasig."; got != want {
		t.Errorf("first Description = %q, want %q", got, want)
	}
}

func TestLatin1RejectsUTF8File(t *testing.T) {
	f, err := os.Open("../testdata/helsinki/services_fi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	_, err = Open(f, "services_fi.json", Options{Charset: "ISO-8859-1"})
	var encodingErr *EncodingError
	if !errors.As(err, &encodingErr) {
		t.Fatalf("Open() = %v, want an *EncodingError", err)
	}
	// The first non-ASCII character is the "ö" of "pöydät", bytes C3 B6.
	if encodingErr.Offset != 267 || encodingErr.Byte != 0xc3 {
		t.Errorf("EncodingError at offset %d, byte 0x%02X, want offset 267, byte 0xC3", encodingErr.Offset, encodingErr.Byte)
	}
	if !strings.Contains(err.Error(), `"ö"`) || !strings.Contains(err.Error(), "without charset latin1") {
		t.Errorf("Open() error = %q, want it to name \"ö\" and say to read without charset latin1", err)
	}
}

func TestDiscoveryWithByteOrderMark(t *testing.T) {
	f, err := os.Open("../testdata/helsinki/discovery.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	_, err = Open(f, "helsinki/discovery.json", Options{})
	want := "helsinki/discovery.json: the file is a discovery document, not a list of requests or services"
	if err == nil || err.Error() != want {
		t.Errorf("Open() = %v, want %q", err, want)
	}
}

// partialRequests is three requests, the third with a datetime that does not parse.
const partialRequests = `[
 {"service_request_id": "a1", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z"},
 {"service_request_id": "a2", "status": "closed", "requested_datetime": "2015-03-04T15:00:00+02:00",
  "updated_datetime": "2015-03-05T10:03:12Z"},
 {"service_request_id": "a3", "status": "open", "requested_datetime": "not a date"}
]`

func TestPartialFile(t *testing.T) {
	res := readString(t, "partial.json", partialRequests, Options{})
	if res.err != nil {
		t.Fatalf("Next() = %v, want io.EOF after the bad record", res.err)
	}
	if len(res.bad) != 1 {
		t.Fatalf("bad records = %v, want one", res.bad)
	}
	bad := res.bad[0]
	if bad.File != "partial.json" || bad.Number != 3 || bad.ID != "a3" {
		t.Errorf("RecordError = {File %q, Number %d, ID %q}, want {partial.json, 3, a3}", bad.File, bad.Number, bad.ID)
	}
	want := `partial.json: record 3 (a3): requested_datetime "not a date" is not a datetime; use RFC 3339, such as 2015-03-14T08:00:00+02:00, or a date, such as 2015-03-14`
	if bad.Error() != want {
		t.Errorf("RecordError.Error() = %q, want %q", bad.Error(), want)
	}

	var ids []string
	for _, r := range res.requests() {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff(ids, []string{"a1", "a2"}); diff != "" {
		t.Errorf("ids mismatch (-got +want):\n%s", diff)
	}
	if got, want := res.requests()[1].Requested, utc(2015, 3, 4, 13, 0, 0); !got.Equal(want) {
		t.Errorf("a2 Requested = %v, want %v", got, want)
	}
}

// goodRequest is a request that breaks no rule, to put around a record under test.
const goodRequest = `{"service_request_id": "ok", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z"}`

func TestBadRecords(t *testing.T) {
	tests := []struct {
		name       string
		record     string
		wantID     string
		wantReason string
	}{
		{"no id", `{"status": "open", "requested_datetime": "2015-03-04T14:40:04Z"}`,
			"", "service_request_id is missing"},
		{"empty id", `{"service_request_id": "", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z"}`,
			"", "service_request_id is missing"},
		{"null id", `{"service_request_id": null, "status": "open", "requested_datetime": "2015-03-04T14:40:04Z"}`,
			"", "service_request_id is missing"},
		{"object id", `{"service_request_id": {"v": 1}, "status": "open", "requested_datetime": "2015-03-04T14:40:04Z"}`,
			"", "service_request_id is a JSON object, not a string or a number"},
		{"requested not a date", `{"service_request_id": "x", "status": "open", "requested_datetime": "yesterday"}`,
			"x", `requested_datetime "yesterday" is not a datetime; use RFC 3339, such as 2015-03-14T08:00:00+02:00, or a date, such as 2015-03-14`},
		{"updated not a date", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "updated_datetime": "2015-02-30T00:00:00Z"}`,
			"x", `updated_datetime "2015-02-30T00:00:00Z" is not a datetime; use RFC 3339, such as 2015-03-14T08:00:00+02:00, or a date, such as 2015-03-14`},
		{"expected not a date", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "expected_datetime": "14.3.2015"}`,
			"x", `expected_datetime "14.3.2015" is not a datetime; use RFC 3339, such as 2015-03-14T08:00:00+02:00, or a date, such as 2015-03-14`},
		{"task time not a date", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z",
			"extended_attributes": {"tasks": [{"task_created": "2015-03-04T14:40:04Z"}, {"task_modified": "soon"}]}}`,
			"x", `extended_attributes.tasks[1].task_modified "soon" is not a datetime; use RFC 3339, such as 2015-03-14T08:00:00+02:00, or a date, such as 2015-03-14`},
		{"status unknown", `{"service_request_id": "x", "status": "pending", "requested_datetime": "2015-03-04T14:40:04Z"}`,
			"x", `status "pending" is not open or closed`},
		{"status a number", `{"service_request_id": "x", "status": 1, "requested_datetime": "2015-03-04T14:40:04Z"}`,
			"x", "status is a JSON number, not a string"},
		{"lat out of range", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": 91, "long": 24}`,
			"x", "lat 91 is out of range; use a number from -90 to 90"},
		{"long out of range", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": 60, "long": "-180.5"}`,
			"x", "long -180.5 is out of range; use a number from -180 to 180"},
		{"lat NaN", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": "NaN", "long": 24}`,
			"x", `lat "NaN" is not a finite decimal number`},
		{"lat infinite", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": 1e999, "long": 24}`,
			"x", `lat "1e999" is not a finite decimal number`},
		{"lat decimal comma", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": "60,17", "long": "24,94"}`,
			"x", `lat "60,17" is not a finite decimal number; long "24,94" is not a finite decimal number`},
		{"lat without long", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": 60.17}`,
			"x", `lat 60.17 is given without long`},
		{"lat a boolean", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": true, "long": 24}`,
			"x", "lat is a JSON boolean, not a string or a number"},
		{"extended_attributes a string", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "extended_attributes": "none"}`,
			"x", "extended_attributes is a JSON string, not an object"},
		{"control character", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "description": "bell\u0007"}`,
			"x", "description contains the control character U+0007; only tab, line feed and carriage return are allowed"},
		{"noncharacter", `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "description": "end\uffff"}`,
			"x", "description contains the noncharacter U+FFFF, which no text may hold"},
		{"record a number", `7`, "", "the record is a JSON number, not an object"},
		{"record null", `null`, "", "the record is null, not an object"},
		{"several problems", `{"service_request_id": "x", "status": "new", "requested_datetime": "now"}`,
			"x", `status "new" is not open or closed; requested_datetime "now" is not a datetime; use RFC 3339, such as 2015-03-14T08:00:00+02:00, or a date, such as 2015-03-14`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "[" + goodRequest + ",\n" + tt.record + ",\n" + goodRequest + "]"
			res := readString(t, "bad.json", text, Options{})
			if res.err != nil {
				t.Fatalf("Next() = %v, want io.EOF", res.err)
			}
			if len(res.records) != 2 {
				t.Errorf("read %d good records, want the 2 around the bad one", len(res.records))
			}
			if len(res.bad) != 1 {
				t.Fatalf("bad records = %v, want one", res.bad)
			}
			bad := res.bad[0]
			if bad.Number != 2 || bad.ID != tt.wantID {
				t.Errorf("RecordError = {Number %d, ID %q}, want {2, %q}", bad.Number, bad.ID, tt.wantID)
			}
			if got := bad.Err.Error(); got != tt.wantReason {
				t.Errorf("RecordError.Err = %q, want %q", got, tt.wantReason)
			}
		})
	}
}

func TestBadServices(t *testing.T) {
	tests := []struct {
		name       string
		record     string
		wantReason string
	}{
		{"no code", `{"service_name": "Potholes"}`, "service_code is missing"},
		{"no name", `{"service_code": "171"}`, "service_name is missing"},
		{"unknown type", `{"service_code": "171", "service_name": "Potholes", "type": "sometimes"}`,
			`type "sometimes" is not realtime, batch or blackbox`},
		{"metadata not a boolean", `{"service_code": "171", "service_name": "Potholes", "metadata": "maybe"}`,
			`metadata "maybe" is not true or false`},
		{"metadata a number", `{"service_code": "171", "service_name": "Potholes", "metadata": 1}`,
			"metadata is a JSON number, not a string or a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := `{"service_code": "001", "service_name": "Other"}`
			res := readString(t, "services.json", "["+good+","+tt.record+"]", Options{})
			if res.err != nil {
				t.Fatalf("Next() = %v, want io.EOF", res.err)
			}
			if len(res.bad) != 1 || len(res.records) != 1 {
				t.Fatalf("read %d good and %d bad records, want 1 and 1", len(res.records), len(res.bad))
			}
			if got := res.bad[0].Err.Error(); got != tt.wantReason {
				t.Errorf("RecordError.Err = %q, want %q", got, tt.wantReason)
			}
		})
	}
}

func TestAcceptedRequestValues(t *testing.T) {
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	base := georeport.Request{
		ID:         "x",
		Status:     georeport.StatusOpen,
		Requested:  utc(2015, 3, 4, 14, 40, 4),
		Updated:    utc(2015, 3, 4, 14, 40, 4),
		Visibility: georeport.Public,
	}
	with := func(change func(r *georeport.Request)) georeport.Request {
		r := base
		change(&r)
		return r
	}

	tests := []struct {
		name   string
		record string
		opts   Options
		want   georeport.Request
	}{
		{
			name:   "status in capitals",
			record: `{"service_request_id": "x", "status": "OPEN", "requested_datetime": "2015-03-04T14:40:04Z"}`,
			want:   base,
		},
		{
			name:   "numeric id and code",
			record: `{"service_request_id": 12345, "service_code": 171, "status": "open", "requested_datetime": "2015-03-04T14:40:04Z"}`,
			want:   with(func(r *georeport.Request) { r.ID, r.ServiceCode = "12345", "171" }),
		},
		{
			name:   "coordinates as strings",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": "60.17", "long": " 24.94 "}`,
			want:   with(func(r *georeport.Request) { r.Location = &georeport.Point{Lat: 60.17, Long: 24.94} }),
		},
		{
			name:   "coordinates both 0",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": 0.0, "long": 0}`,
			want:   base,
		},
		{
			name:   "range edges",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "lat": -90, "long": 180}`,
			want:   with(func(r *georeport.Request) { r.Location = &georeport.Point{Lat: -90, Long: 180} }),
		},
		{
			name:   "empty strings and nulls absent",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "updated_datetime": "", "expected_datetime": null, "description": "", "lat": "", "long": null, "media_url": ""}`,
			want:   base,
		},
		{
			name:   "unknown fields ignored",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "token": "t", "votes": [1, {"a": 2}]}`,
			want:   base,
		},
		{
			name:   "datetime without zone read in Location",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T16:40:04", "updated_datetime": "2015-07-01 12:00:00"}`,
			opts:   Options{Location: helsinki},
			want: with(func(r *georeport.Request) {
				// Helsinki is UTC+2 in March and UTC+3 in July.
				r.Updated = utc(2015, 7, 1, 9, 0, 0)
			}),
		},
		{
			name:   "media_url alone",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "media_url": "https://example.com/a.jpg"}`,
			want: with(func(r *georeport.Request) {
				r.MediaURL = "https://example.com/a.jpg"
				r.MediaURLs = []string{"https://example.com/a.jpg"}
			}),
		},
		{
			name: "media_urls kept in order",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "media_url": "https://example.com/a.jpg",
				"extended_attributes": {"media_urls": ["https://example.com/a.jpg", "", "https://example.com/b.jpg"]}}`,
			want: with(func(r *georeport.Request) {
				r.MediaURL = "https://example.com/a.jpg"
				r.MediaURLs = []string{"https://example.com/a.jpg", "https://example.com/b.jpg"}
			}),
		},
		{
			name:   "media_urls without media_url",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "extended_attributes": {"media_urls": ["https://example.com/b.jpg"]}}`,
			want:   with(func(r *georeport.Request) { r.MediaURLs = []string{"https://example.com/b.jpg"} }),
		},
		{
			name:   "fractional seconds dropped",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04.999Z"}`,
			want:   base,
		},
		{
			name:   "line breaks and escapes kept",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "description": "a\r\nb\nc\rd <&> \u00e4 \ud83d\ude00"}`,
			want:   with(func(r *georeport.Request) { r.Description = "a\r\nb\nc\rd <&> ä 😀" }),
		},
		{
			name:   "service object",
			record: `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "extended_attributes": {"service_object_id": "123", "service_object_type": "http://www.hel.fi/servicemap/v2"}}`,
			want: with(func(r *georeport.Request) {
				r.ServiceObjectID, r.ServiceObjectType = "123", "http://www.hel.fi/servicemap/v2"
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readString(t, "values.json", "["+tt.record+"]", tt.opts)
			if res.err != nil || len(res.bad) > 0 {
				t.Fatalf("error %v, bad records %v", res.err, res.bad)
			}
			requests := res.requests()
			if len(requests) != 1 {
				t.Fatalf("read %d requests, want 1", len(requests))
			}
			if diff := cmp.Diff(requests[0], tt.want); diff != "" {
				t.Errorf("request mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestXMLRequestValues(t *testing.T) {
	text := `<?xml version="1.0" encoding="UTF-8"?>
<service_requests xmlns:x="urn:example">
 <x:note>not a request</x:note>
 <request>
  <service_request_id>a&amp;b</service_request_id>
  <status>closed</status>
  <description>x &lt; y&#xD;&#xA;second line
third line &auml; &#228;</description>
  <requested_datetime>2015-03-04T14:40:04+02:00</requested_datetime>
  <lat>60.17</lat><long>24.94</long>
  <media_url>https://example.com/a.jpg</media_url>
  <extended_attributes>
   <title>Title</title>
   <detailed_status>PROCESSED,PUBLIC_WORKS_COMPLETED</detailed_status>
   <media_urls><media_url>https://example.com/a.jpg</media_url><media_url/><media_url>https://example.com/b.jpg</media_url></media_urls>
   <tasks>
    <task><task_state>closed</task_state><task_type>assigned</task_type><owner_name>Rakennusvirasto</owner_name>
     <task_created>2015-03-04T14:40:06Z</task_created><task_modified>2015-03-05T08:13:24Z</task_modified></task>
    <task><task_state>open</task_state></task>
   </tasks>
  </extended_attributes>
 </request>
</service_requests>
<!-- generated -->
`
	res := readString(t, "requests.xml", text, Options{})
	if res.err != nil || len(res.bad) > 0 {
		t.Fatalf("error %v, bad records %v", res.err, res.bad)
	}
	want := []georeport.Request{{
		ID:     "a&b",
		Status: georeport.StatusClosed,
		// XML reads a literal line break as "\n" and &#xD; as "\r".
		Description:    "x < y\r\nsecond line\nthird line ä ä",
		Requested:      utc(2015, 3, 4, 12, 40, 4),
		Updated:        utc(2015, 3, 4, 12, 40, 4),
		Location:       &georeport.Point{Lat: 60.17, Long: 24.94},
		MediaURL:       "https://example.com/a.jpg",
		Title:          "Title",
		DetailedStatus: "PROCESSED,PUBLIC_WORKS_COMPLETED",
		MediaURLs:      []string{"https://example.com/a.jpg", "https://example.com/b.jpg"},
		Tasks: []georeport.Task{
			{State: "closed", Type: "assigned", OwnerName: "Rakennusvirasto",
				Created: utc(2015, 3, 4, 14, 40, 6), Modified: utc(2015, 3, 5, 8, 13, 24)},
			{State: "open"},
		},
		Visibility: georeport.Public,
	}}
	if diff := cmp.Diff(res.requests(), want); diff != "" {
		t.Errorf("requests mismatch (-got +want):\n%s", diff)
	}
}

func TestEmptyLists(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantKind Kind
	}{
		{"JSON", " [ ] \n", Unknown},
		{"XML requests", `<?xml version="1.0"?><service_requests/>`, Requests},
		{"XML services", `<services is_array="true"></services>`, Services},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := Open(strings.NewReader(tt.text), "empty", Options{})
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			if rd.Kind() != tt.wantKind {
				t.Errorf("Kind() = %v, want %v", rd.Kind(), tt.wantKind)
			}
			for range 2 {
				if _, err := rd.Next(); err != io.EOF {
					t.Errorf("Next() = %v, want io.EOF", err)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		opts    Options
		wantErr string
	}{
		{"empty file", "", Options{}, "f: the file is empty"},
		{"white space only", " \n\t", Options{}, "f: the file is empty"},
		{"byte-order mark only", "\xef\xbb\xbf", Options{}, "f: the file is empty"},
		{"CSV", "id,status\n1,open\n", Options{}, `f: the file is neither JSON nor XML: it starts with 'i'`},
		{"JSON object", `{"service_request_id": "x"}`, Options{}, "f: the file is a JSON object: an import file is a JSON list of requests or services"},
		{"JSON error response", `[{"code": 404, "description": "service_request_id x not found"}]`, Options{},
			`f: the file is an Open311 error response, not requests or services: "404 service_request_id x not found"`},
		{"XML error response", `<?xml version="1.0" encoding="utf-8"?><errors><error><code>403</code><description>api_key is missing</description></error></errors>`,
			Options{}, `f: the file is an Open311 error response, not requests or services: "403 api_key is missing"`},
		{"XML discovery", `<discovery><changeset>2013</changeset></discovery>`, Options{},
			"f: the file is a discovery document, not a list of requests or services"},
		{"XML other root", `<feed/>`, Options{}, "f: the root element <feed> is neither <service_requests> nor <services>"},
		{"XML cut off in the root tag", "<?xml version=\"1.0\"?>\n<service_req", Options{}, "f: unexpected EOF on line 2: the file is cut off"},
		{"XML without a root", "<?xml version=\"1.0\"?>\n", Options{}, "f: the XML has no root element: unexpected EOF: the file is cut off"},
		{"XML encoding", `<?xml version="1.0" encoding="Shift_JIS"?><services/>`, Options{},
			`f: xml: opening charset "Shift_JIS": the XML declaration names encoding "Shift_JIS", but the importer reads UTF-8, or Latin-1 with -charset latin1`},
		{"objects without kind", `[{}, {"votes": 3}]`, Options{},
			"f: no record has a service_request_id or a service_code, so the file contains neither requests nor services"},
		{"list of lists", `[[{"service_request_id": "1"}], null]`, Options{},
			"f: no record is a JSON object (record 1: the record is a JSON array, not an object), so the file contains neither requests nor services"},
		{"objects and a list", `[{}, [1]]`, Options{},
			"f: no record has a service_request_id or a service_code, so the file contains neither requests nor services"},
		{"UTF-16", "\xff\xfe[\x00]\x00", Options{}, "f: the file is UTF-16 (it starts with a UTF-16 byte-order mark): convert it to UTF-8"},
		{"unknown charset", "[]", Options{Charset: "cp1252"}, `f: unknown charset "cp1252": use utf-8 or latin1`},
		{"invalid JSON before the kind", `[{"service_request_id": }]`, Options{},
			"f: record 1: invalid JSON: near byte offset 24: invalid character '}' looking for beginning of value"},
		{"invalid JSON after a byte-order mark", "\xef\xbb\xbf[{\"service_request_id\": }]", Options{},
			"f: record 1: invalid JSON: near byte offset 27: invalid character '}' looking for beginning of value"},
		{"invalid JSON in Latin-1", `[{"service_request_id": }]`, Options{Charset: Latin1},
			"f: record 1: invalid JSON: invalid character '}' looking for beginning of value"},
		{"C1 byte in Latin-1", "[{\"service_name\": \"\x93quoted\x94\"}]", Options{Charset: Latin1},
			"f: record 1: byte 0x93 at offset 19 is a control character in Latin-1: the file is probably Windows-1252, which the importer does not read; convert it to UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := Open(strings.NewReader(tt.text), "f", tt.opts)
			if err == nil {
				t.Fatalf("Open() = %v, nil, want error %q", rd, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Open() error = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantRecords int
		wantErr     string
	}{
		{"JSON cut off in a record", "[" + goodRequest + `, {"service_request_id": "x", "sta`, 1,
			"f: record 2: unexpected EOF: the file is cut off"},
		{"JSON list not closed", "[" + goodRequest + "\n", 1,
			"f: the list is not closed: unexpected EOF: the file is cut off"},
		{"JSON missing comma", "[" + goodRequest + " " + goodRequest + "]", 1,
			"f: record 2: invalid JSON: near byte offset 94: expected comma after array element"},
		{"JSON after the list", "[" + goodRequest + "] x", 1,
			"f: invalid JSON: at byte offset 95, after the list that ends at byte offset 93: invalid character 'x' looking for beginning of value"},
		{"JSON second list", "[" + goodRequest + "] []", 1,
			"f: found [ at byte offset 95, after the list that ends at byte offset 93"},
		{"XML cut off", "<service_requests><request><service_request_id>x</service_request_id><status>open</status><requested_datetime>2015-03-04T14:40:04Z</requested_datetime></request><request><status>", 1,
			"f: record 2: unexpected EOF on line 1: the file is cut off"},
		{"XML cut off in a tag", "<service_requests><request><service_request_id>x</service_request_id><status>open</status><requested_datetime>2015-03-04T14:40:04Z</requested_datetime></request>\n<request><stat", 1,
			"f: record 2: unexpected EOF on line 2: the file is cut off"},
		{"XML cut off after a record", "<service_requests><request><service_request_id>x</service_request_id><status>open</status><requested_datetime>2015-03-04T14:40:04Z</requested_datetime></request>\n", 1,
			"f: record 2: unexpected EOF on line 2: the file is cut off"},
		{"XML cut off in CDATA", "<service_requests><request><service_request_id>x</service_request_id><description><![CDATA[Kuoppa", 0,
			"f: record 1: unexpected EOF in CDATA section on line 1: the file is cut off"},
		{"XML cut off in a comment after the root", "<services></services>\n<!-- end", 0,
			"f: after the root element: unexpected EOF on line 2: the file is cut off"},
		{"XML unknown entity", "<services><service><service_code>1</service_code><service_name>&nope;</service_name></service></services>", 0,
			"f: record 1: invalid XML: XML syntax error on line 1: invalid character entity &nope;"},
		{"XML second root", "<services></services><services></services>", 0,
			"f: found a second root element <services>"},
		{"invalid UTF-8 after a record", "[" + goodRequest + ", {\"description\": \"\xe4\"}]", 1,
			"f: record 2: invalid UTF-8 at byte offset 112 (byte 0xE4): the file must be UTF-8; if it is Latin-1 (ISO 8859-1), import it with -charset latin1"},
		{"UTF-8 cut off at the end", "[" + goodRequest + "]\xc3", 1,
			"f: invalid UTF-8 at byte offset 94 (byte 0xC3): the file must be UTF-8; if it is Latin-1 (ISO 8859-1), import it with -charset latin1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := Open(strings.NewReader(tt.text), "f", Options{})
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			res := readAll(t, rd)
			if len(res.records) != tt.wantRecords {
				t.Errorf("read %d records before the error, want %d", len(res.records), tt.wantRecords)
			}
			if res.err == nil {
				t.Fatalf("Next() = io.EOF, want error %q", tt.wantErr)
			}
			if res.err.Error() != tt.wantErr {
				t.Errorf("Next() error = %q, want %q", res.err, tt.wantErr)
			}
			if _, again := rd.Next(); again != res.err {
				t.Errorf("Next() after the error = %v, want the same error %v", again, res.err)
			}
		})
	}
}

func TestRecordsWithoutStatusOrTimeAreKept(t *testing.T) {
	data := `[{"service_request_id": "no-status", "requested_datetime": "2015-03-04T14:40:04Z"},
	          {"service_request_id": "no-time", "status": "closed"}]`
	rd, err := Open(strings.NewReader(data), "sparse.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []georeport.Request
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next() = %v, want both records kept", err)
		}
		got = append(got, *rec.Request)
	}
	if len(got) != 2 {
		t.Fatalf("read %d records, want 2", len(got))
	}
	if got[0].Status != "" || got[0].Requested.IsZero() {
		t.Errorf("no-status = %+v, want an empty status and its time", got[0])
	}
	if got[1].Status != georeport.StatusClosed || !got[1].Requested.IsZero() || !got[1].Updated.IsZero() {
		t.Errorf("no-time = %+v, want closed and no times", got[1])
	}
}
