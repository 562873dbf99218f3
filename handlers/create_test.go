package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/open311-to-go/open311/georeport"
)

// validForm returns the fields of a valid POT request, which requires attribute[DEPTH].
func validForm() url.Values {
	return url.Values{
		"api_key":          {testKey},
		"service_code":     {"POT"},
		"lat":              {"-20.5"},
		"long":             {"30.25"},
		"description":      {"A hole in the road"},
		"attribute[DEPTH]": {"12"},
	}
}

func withField(form url.Values, pairs ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "<delete>" {
			out.Del(pairs[i])
		} else {
			out.Set(pairs[i], pairs[i+1])
		}
	}
	return out
}

// withRepeated returns a copy of form in which the field name has each of values.
func withRepeated(form url.Values, name string, values ...string) url.Values {
	out := withField(form)
	out[name] = values
	return out
}

type errorItem struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

func decodeErrors(t *testing.T, body []byte) []errorItem {
	t.Helper()
	var items []errorItem
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("error body %s is not a JSON error list: %v", body, err)
	}
	return items
}

func TestCreateRejects(t *testing.T) {
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		// wantWords must each appear in the descriptions.
		wantWords []string
	}{
		{"missing key", withField(validForm(), "api_key", "<delete>"), 403, []string{"api_key"}},
		{"unknown key", withField(validForm(), "api_key", "nope"), 403, []string{"api_key"}},
		{"missing service code", withField(validForm(), "service_code", "<delete>"), 400, []string{"service_code"}},
		{"unknown service code", withField(validForm(), "service_code", "NOPE"), 404, []string{`"NOPE"`}},
		{"no location", withField(validForm(), "lat", "<delete>", "long", "<delete>"), 400, []string{"location", "address_string"}},
		{"lat without long", withField(validForm(), "long", "<delete>"), 400, []string{"lat", "long"}},
		{"long without lat", withField(validForm(), "lat", "<delete>"), 400, []string{"lat", "long"}},
		{"lat out of range", withField(validForm(), "lat", "90.0001"), 400, []string{"lat", `"90.0001"`}},
		{"long not a number", withField(validForm(), "long", "abc"), 400, []string{"long", `"abc"`}},
		{"lat NaN", withField(validForm(), "lat", "NaN"), 400, []string{"lat"}},
		{"long Inf", withField(validForm(), "long", "Inf"), 400, []string{"long"}},
		{"lon instead of long", withField(validForm(), "long", "<delete>", "lon", "30"), 400, []string{"lon", "long"}},
		{"lng instead of long", withField(validForm(), "long", "<delete>", "lng", "30"), 400, []string{"lng", "long"}},
		{"coordinates service with address", withField(validForm(), "service_code", "COORD", "lat", "<delete>",
			"long", "<delete>", "address_string", "Kaivokatu 1"), 400, []string{"lat", "long"}},
		{"required attribute missing", withField(validForm(), "attribute[DEPTH]", "<delete>"), 400, []string{"DEPTH"}},
		{"required attribute empty", withField(validForm(), "attribute[DEPTH]", ""), 400, []string{"DEPTH"}},
		{"number attribute", withField(validForm(), "attribute[DEPTH]", "12cm"), 400, []string{"DEPTH", `"12cm"`}},
		{"number with thousands", withField(validForm(), "attribute[DEPTH]", "1,234,5"), 400, []string{"DEPTH"}},
		{"datetime attribute", withField(validForm(), "attribute[SEEN]", "05.03.2024"), 400, []string{"SEEN"}},
		{"single list value", withField(validForm(), "attribute[SHAPE]", "starfish"), 400, []string{"SHAPE", "round"}},
		{"multi list value", withField(validForm(), "attribute[SIDE]", "west"), 400, []string{"SIDE", "north"}},
		{"description too long", withField(validForm(), "description", strings.Repeat("a", 4001)), 400, []string{"description", "4000"}},
		{"feedback too short", withField(validForm(), "service_code", "FEEDBACK", "description", "ööööööööö"), 400, []string{"description", "10"}},
		{"lat twice", withRepeated(validForm(), "lat", "60.17", "61"), 400, []string{"lat was sent more than once with different values"}},
		{"feedback missing", withField(validForm(), "service_code", "FEEDBACK", "description", "<delete>"), 400, []string{"description is required and must contain at least 10 characters"}},
		{"title too long", withField(validForm(), "title", strings.Repeat("a", 121)), 400, []string{"title", "120"}},
		{"object id alone", withField(validForm(), "service_object_id", "1"), 400, []string{"service_object_id", "service_object_type"}},
		{"object type alone", withField(validForm(), "service_object_type", "x"), 400, []string{"service_object_type"}},
		{"object id too long", withField(validForm(), "service_object_id", strings.Repeat("x", 101), "service_object_type", "x"), 400, []string{"service_object_id"}},
		{"email", withField(validForm(), "email", "not-an-address"), 400, []string{"email", `"not-an-address"`}},
		{"email with name", withField(validForm(), "email", "Maija <maija@example.org>"), 400, []string{"email"}},
		{"media url scheme", withField(validForm(), "media_url", "ftp://media.example.org/p.jpg"), 400, []string{"media_url"}},
		{"media url relative", withField(validForm(), "media_url", "/p.jpg"), 400, []string{"media_url"}},
		{"media url script", withField(validForm(), "media_url", "javascript:alert(1)"), 400, []string{"media_url"}},
		{"media url too long", withField(validForm(), "media_url", "https://m.example.org/"+strings.Repeat("a", 2048)), 400, []string{"media_url", "2048"}},
		{"address too long", withField(validForm(), "address_string", strings.Repeat("A", 100_000)), 400, []string{"address_string"}},
		{"control character", withField(validForm(), "description", "a\x01b"), 400, []string{"description", "U+0001"}},
		{"noncharacter", withField(validForm(), "description", "a\uFFFEb"), 400, []string{"description", "noncharacter U+FFFE"}},
		{"invalid UTF-8", withField(validForm(), "description", "\xff\xfe"), 400, []string{"description", "UTF-8"}},
		{"unknown jurisdiction", withField(validForm(), "jurisdiction_id", "elsewhere"), 404, []string{"elsewhere"}},
		{"403 wins over 400", withField(validForm(), "api_key", "nope", "lat", "95"), 403, []string{"api_key"}},
		{"404 wins over 400", withField(validForm(), "service_code", "NOPE", "lat", "95"), 404, []string{"NOPE"}},
	}
	ts := newTestServer(t, "catalog.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := "marker-" + strings.ReplaceAll(tt.name, " ", "-")
			form := tt.form
			if form.Get("description") == "A hole in the road" {
				form = withField(form, "description", marker)
			}
			resp := ts.post(t, "requests.json", form)
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("POST = %d %s, want %d", resp.StatusCode, body, tt.wantStatus)
			}
			items := decodeErrors(t, body)
			var text []string
			for _, item := range items {
				if item.Code != tt.wantStatus {
					t.Errorf("error code %d, want %d", item.Code, tt.wantStatus)
				}
				text = append(text, item.Description)
			}
			all := strings.Join(text, " | ")
			for _, word := range tt.wantWords {
				if !strings.Contains(all, word) {
					t.Errorf("description %q does not contain %q", all, word)
				}
			}
			page, err := ts.store.FindRequests(context.Background(), &georeport.Query{Words: []string{strings.ToLower(marker)}, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 0 {
				t.Errorf("a rejected POST stored %d requests", page.Total)
			}
		})
	}
}

func TestCreateReportsProblemsTogether(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	resp := ts.post(t, "requests.json", withField(validForm(), "attribute[DEPTH]", "<delete>", "lat", "91"))
	items := decodeErrors(t, readBody(t, resp))
	if resp.StatusCode != 400 || len(items) != 2 {
		t.Fatalf("POST without DEPTH and with lat=91 = %d %v, want 400 with two problems", resp.StatusCode, items)
	}
}

func TestCreateAccepts(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
	}{
		{"key in field", validForm()},
		{"decimal comma", withField(validForm(), "attribute[DEPTH]", "12,5")},
		{"exponent", withField(validForm(), "attribute[DEPTH]", "1e2")},
		{"datetime attribute", withField(validForm(), "attribute[SEEN]", "2024-03-05T06:15:30.25Z")},
		{"date attribute", withField(validForm(), "attribute[SEEN]", "2024-03-05")},
		{"unknown attribute ignored", withField(validForm(), "attribute[COLOUR]", "green")},
		{"empty list value", withField(validForm(), "attribute[SHAPE]", "")},
		{"address only", withField(validForm(), "lat", "<delete>", "long", "<delete>", "address_string", "Ängsvägen 5")},
		{"address id only", withField(validForm(), "lat", "<delete>", "long", "<delete>", "address_id", "00123")},
		{"service object only", withField(validForm(), "lat", "<delete>", "long", "<delete>",
			"service_object_id", "10844", "service_object_type", "http://www.hel.fi/servicemap/v2")},
		{"no location needed", withField(validForm(), "service_code", "001", "lat", "<delete>", "long", "<delete>")},
		{"edge of the map", withField(validForm(), "lat", "-90", "long", "180")},
		{"empty contact fields", withField(validForm(), "email", "", "phone", "", "first_name", "")},
		{"4000 characters", withField(validForm(), "description", strings.Repeat("ä", 4000))},
		{"feedback of 5000", withField(validForm(), "service_code", "FEEDBACK", "description", strings.Repeat("ö", 5000))},
	}
	ts := newTestServer(t, "catalog.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ts.post(t, "requests.json", tt.form)
			if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
				t.Fatalf("POST = %d %s, want 200", resp.StatusCode, body)
			}
		})
	}
}

func TestCreateKeyHeaders(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	form := withField(validForm(), "api_key", "<delete>")
	for _, header := range [][]string{{"Authorization", "Bearer " + testKey}, {"X-API-Key", testKey}} {
		if resp := ts.post(t, "requests.json", form, header...); resp.StatusCode != http.StatusOK {
			t.Errorf("POST with %s = %d, want 200", header[0], resp.StatusCode)
		}
	}
	if resp := ts.post(t, "requests.json", form, "Authorization", "Bearer nope"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong bearer key = %d, want 403", resp.StatusCode)
	}
}

func TestCreateRevokedKey(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	ctx := context.Background()
	if err := ts.store.CreateKey(ctx, &georeport.Key{Name: "old", Role: georeport.RoleClient, Hash: georeport.HashKey("old-key"), Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := ts.store.RevokeKey(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	if resp := ts.post(t, "requests.json", withField(validForm(), "api_key", "old-key")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a revoked key = %d, want 403", resp.StatusCode)
	}
}

func TestCreateStoresMultiValues(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	body := "api_key=" + testKey + "&service_code=POT&lat=1&long=2&attribute[DEPTH]=5" +
		"&attribute[SIDE][]=south&attribute[SIDE][]=east&attribute[SIDE][]=south"
	r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests.json", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := ts.do(t, r)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d %s", resp.StatusCode, readBody(t, resp))
	}
	stored, err := ts.store.Request(context.Background(), "test0000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	want := []georeport.AttributeValue{{Code: "DEPTH", Values: []string{"5"}}, {Code: "SIDE", Values: []string{"south", "east"}}}
	if len(stored.Attributes) != 2 || stored.Attributes[1].Code != "SIDE" ||
		strings.Join(stored.Attributes[1].Values, ",") != "south,east" {
		t.Errorf("stored attributes %v, want %v", stored.Attributes, want)
	}
}

func TestCreateRejectsBodyTypes(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	for _, contentType := range []string{"application/json", "text/plain", "text/xml", ""} {
		r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests.json", strings.NewReader("service_code=BIN"))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if resp := ts.do(t, r); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("POST with Content-Type %q = %d, want 415", contentType, resp.StatusCode)
		}
	}
}

// TestCreateMalformedBodies checks that a broken form body gets a 400 whose description
// names the body's own type: a bad percent escape, or multipart parts without their boundary.
func TestCreateMalformedBodies(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	tests := []struct {
		contentType, body, want string
	}{
		{"application/x-www-form-urlencoded", "api_key=" + testKey + "&service_code=BIN&description=100%ZZ",
			"invalid percent escape for application/x-www-form-urlencoded"},
		{"multipart/form-data; boundary=xyz", "--abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--abc--\r\n",
			"not well-formed multipart/form-data"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests.json", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", tt.contentType)
		resp := ts.do(t, r)
		body := string(readBody(t, resp))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("POST of %s = %d %s, want 400 containing %q", tt.contentType, resp.StatusCode, body, tt.want)
		}
	}
}

func TestCreateMultipartUpload(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for name, values := range withField(validForm(), "media_url", "https://media.example.org/first.jpg") {
		for _, v := range values {
			w.WriteField(name, v)
		}
	}
	part, _ := w.CreateFormFile("media", "photo.jpg")
	part.Write(tinyPNG(t))
	w.Close()
	r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests.json", &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	resp := ts.do(t, r)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST multipart = %d %s", resp.StatusCode, readBody(t, resp))
	}
	stored, err := ts.store.Request(context.Background(), "test0000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.MediaURLs) != 2 || stored.MediaURLs[0] != "https://media.example.org/first.jpg" ||
		!strings.HasSuffix(stored.MediaURLs[1], ".png") {
		t.Errorf("media_urls = %v, want the posted URL, then a .png upload", stored.MediaURLs)
	}
}

// FuzzCreateForm posts arbitrary form bodies and checks that the server never responds with a 5xx and
// that every 4xx carries an Open311 error list.
func FuzzCreateForm(f *testing.F) {
	for _, seed := range []string{
		"service_code=BIN&lat=1&long=2",
		"service_code=POT&lat=1&long=2&attribute[DEPTH]=1e400",
		"service_code=POT&lat=1&long=2&attribute[DEPTH]=5&attribute[SIDE][][]=north",
		"service_code=BIN&lat=1&long=2&attribute=x&attribute[]=y&attribute[=z",
		"service_code=BIN&lat=1e400&long=0", "%%%%&&&===", "service_code=%FF&address_string=x",
		"service_code=BIN&address_string=x&email=%FF%40example.org", "service_code=BATCH&address_id=1",
		"service_code=001&description=%00", "service_code=BIN&lon=1&lat=2",
	} {
		f.Add(seed)
	}
	ts := newTestServer(f, "catalog.json")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests.json", strings.NewReader("api_key="+testKey+"&"+body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		ts.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("POST %q = %d %s", body, w.Code, w.Body.Bytes())
		}
		if w.Code >= 400 {
			var items []errorItem
			if err := json.Unmarshal(w.Body.Bytes(), &items); err != nil || len(items) == 0 || items[0].Code != w.Code {
				t.Fatalf("POST %q = %d with body %s, want an Open311 error list", body, w.Code, w.Body.Bytes())
			}
		}
	})
}

// tinyPNG returns a valid 2×1 PNG image.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCreateInvalidEmailNotLogged checks that the client reads back the e-mail address it sent
// in the problem, and that the access log withholds it.
func TestCreateInvalidEmailNotLogged(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	var logs bytes.Buffer
	ts.log = slog.New(slog.NewJSONHandler(&logs, nil))
	address := "matti meikalainen@example.org"

	res := ts.post(t, "requests.json", withField(validForm(), "email", address))
	body := string(readBody(t, res))
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, address) {
		t.Errorf("POST with email %q = %d %s, want 400 naming the address", address, res.StatusCode, body)
	}
	if !strings.Contains(logs.String(), `email=\"(withheld)\"`) {
		t.Errorf("log = %s, want the problem with the address withheld", logs.String())
	}
	if strings.Contains(logs.String(), "meikalainen") {
		t.Errorf("log contains the e-mail address:\n%s", logs.String())
	}
}
