package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// compareWithUnmarshal decodes data with decodeRecord and, when it accepts the object, fails
// unless encoding/json decodes the same record without an error. It returns whether
// decodeRecord accepted the object.
func compareWithUnmarshal(t *testing.T, data []byte) bool {
	t.Helper()
	var fast rawRecord
	if _, _, ok := decodeRecord(data, &fast); !ok {
		return false
	}
	var want rawRecord
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("decodeRecord accepted %q, which encoding/json rejects: %v", data, err)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("decodeRecord(%q) = %+v, encoding/json gives %+v", data, fast, want)
	}
	return true
}

func TestDecodeRecordMatchesUnmarshal(t *testing.T) {
	accepted := []string{
		`{}`,
		` { "service_request_id" : "1" , "status":"open" } `,
		`{"service_request_id": 101, "service_code": "015", "lat": 60.1699, "long": -24.5e1}`,
		`{"lat": "60.17", "long": 0, "zipcode": -0.5E+3, "address_id": 1e-2}`,
		`{"metadata": true, "code": false, "zipcode": null}`,
		`{"service_code": {"a": [1, {"b": null}]}, "address_id": [], "lat": [[]]}`,
		`{"description": "line\nbreak \"quoted\" back\\slash \/ \b\f\r\t"}`,
		`{"description": "\u00e4 \u20AC \ud83d\ude00 \u0000 \uFFFF"}`,
		`{"description": "Kiitos palautteestanne. Pyöräilijöiden ja jalankulkijoiden välille 🚲"}`,
		`{"status": null, "service_name": null, "extended_attributes": null}`,
		`{"extended_attributes": {}}`,
		`{"extended_attributes": {"media_urls": [], "tasks": []}}`,
		`{"extended_attributes": {"media_urls": null, "tasks": null}}`,
		`{"extended_attributes": {"media_urls": ["a", null, "b"], "tasks": [null, {}, {"task_state": "closed", "owner_name": "Rakennusvirasto"}]}}`,
		`{"extended_attributes": {"title": "T", "detailed_status": "PROCESSED", "service_object_id": "x", "service_object_type": "y", "votes": 3}}`,
		`{"extended_attributes": {"tasks": [{"task_type": "t", "task_created": "2015-03-04T14:40:06Z", "task_modified": "2015-03-05T08:13:24Z", "extra": [1]}]}}`,
		`{"votes": 3, "tags": ["a", {"b": "\u00e4"}], "ok": true, "none": null, "n": -0.0e0}`,
		`{"service_request_id": "1", "keywords": "a,b", "group": "street", "type": "realtime"}`,
	}
	for _, text := range accepted {
		if !compareWithUnmarshal(t, []byte(text)) {
			t.Errorf("decodeRecord(%s) = false, want true", text)
		}
	}

	// encoding/json decodes these differently, rejects them or reports a problem, so
	// decodeRecord leaves them to it.
	declined := []string{
		`{"Status": "open"}`,
		`{"SERVICE_REQUEST_ID": "1"}`,
		"{\"\u212Aeywords\": \"Kelvin sign\"}",
		`{"st\u0061tus": "open"}`,
		`{"status": "open", "status": "closed"}`,
		`{"extended_attributes": {"title": "a"}, "extended_attributes": {"detailed_status": "b"}}`,
		`{"extended_attributes": {"tasks": [{"task_state": "a", "task_state": "b"}]}}`,
		`{"status": 1}`,
		`{"status": true}`,
		`{"description": ["a"]}`,
		`{"extended_attributes": "x"}`,
		`{"extended_attributes": {"media_urls": "a"}}`,
		`{"extended_attributes": {"media_urls": [1]}}`,
		`{"extended_attributes": {"tasks": [1]}}`,
		`{"extended_attributes": {"tasks": {}}}`,
		"{\"description\": \"\xff\"}",
		"{\"description\": \"a\x01b\"}",
		"{\"description\": \"tab\there\"}",
		`{"description": "\x"}`,
		`{"description": "\u12G4"}`,
		`{"lat": 01}`,
		`{"lat": 1.}`,
		`{"lat": .5}`,
		`{"lat": 1e}`,
		`{"lat": -}`,
		`{"lat": +1}`,
		`{"lat": tru}`,
		`{"lat": nul}`,
		`{"status": "open",}`,
		`{"status" "open"}`,
		`{"status": "open"`,
		`{"status": "open"} x`,
		`{"status": "open"}}`,
		`{status: "open"}`,
		`{"votes": [1, 2,]}`,
		`{"votes": ` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`,
		`[]`,
		`null`,
		``,
	}
	for _, text := range declined {
		if compareWithUnmarshal(t, []byte(text)) {
			t.Errorf("decodeRecord(%s) = true, want false", text)
		}
	}
}

// TestLoneSurrogateIsAProblem checks that a lone surrogate escape becomes U+FFFD, as with
// encoding/json, and a problem that names the field, except in a field that is not kept.
func TestLoneSurrogateIsAProblem(t *testing.T) {
	tests := []struct {
		text, field, escape string
	}{
		{`{"description": "a \ud83d b"}`, "description", `\ud83d`},
		{`{"description": "\ude00\ud83d"}`, "description", `\ude00`},
		{`{"status_notes": "\ud83d\u0041", "description": "\ud83d"}`, "status_notes", `\ud83d`},
		{`{"service_request_id": "x\udbff"}`, "service_request_id", `\udbff`},
		{`{"extended_attributes": {"title": "\ud800"}}`, "extended_attributes.title", `\ud800`},
		{`{"extended_attributes": {"media_urls": ["a", "\ud800"]}}`, "extended_attributes.media_urls[1]", `\ud800`},
		{`{"extended_attributes": {"tasks": [{}, {"owner_name": "\udc00x"}]}}`, "extended_attributes.tasks[1].owner_name", `\udc00`},
		{`{"votes": "\ud800", "tags": ["\ud800"], "service_code": {"a": "\ud800"}}`, "", ""},
		{`{"description": "\ud83d\ude00"}`, "", ""},
	}
	for _, tt := range tests {
		if !compareWithUnmarshal(t, []byte(tt.text)) {
			t.Errorf("decodeRecord(%s) = false, want true", tt.text)
			continue
		}
		var r rawRecord
		problem, field, _ := decodeRecord([]byte(tt.text), &r)
		if field != tt.field {
			t.Errorf("decodeRecord(%s) field = %q, want %q", tt.text, field, tt.field)
		}
		if tt.field == "" {
			if problem != "" {
				t.Errorf("decodeRecord(%s) problem = %q, want none", tt.text, problem)
			}
			continue
		}
		if !strings.HasPrefix(problem, tt.field+" contains the escape "+tt.escape+",") {
			t.Errorf("decodeRecord(%s) problem = %q, want one about %s in %s", tt.text, problem, tt.escape, tt.field)
		}
	}

	res := readString(t, "f", "["+goodRequest+`, {"service_request_id": "b", "description": "\ud83d"}]`, Options{})
	want := `f: record 2 (b): description contains the escape \ud83d, half of a UTF-16 surrogate pair without the other half, ` +
		"which is not a character; write the character as a pair of escapes or as UTF-8"
	if len(res.bad) != 1 || res.bad[0].Error() != want {
		t.Errorf("bad records = %v, want one: %s", res.bad, want)
	}
	if got := len(res.requests()); got != 1 {
		t.Errorf("read %d requests, want 1", got)
	}
}

// TestDecodeRecordPublishedFiles decodes every record of published Helsinki and Chicago
// files with decodeRecord alone and compares each with encoding/json.
func TestDecodeRecordPublishedFiles(t *testing.T) {
	for _, path := range []string{"helsinki/requests.json", "helsinki/services.json", "chicago/service_requests.json"} {
		data, err := os.ReadFile("../testdata/" + path)
		if err != nil {
			t.Fatal(err)
		}
		var elements []json.RawMessage
		if err := json.Unmarshal(data, &elements); err != nil {
			t.Fatal(err)
		}
		for i, element := range elements {
			if !compareWithUnmarshal(t, element) {
				t.Fatalf("%s: decodeRecord declined element %d: %s", path, i+1, element)
			}
		}
	}
}

// TestDecoderKeysMatchTags checks the key lists of decodeRecord against the JSON tags of the
// structs it fills, so that a field added to a struct is not skipped as an unknown key.
func TestDecoderKeysMatchTags(t *testing.T) {
	tags := func(v any) []string {
		var names []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			names = append(names, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
		return names
	}
	for _, tt := range []struct {
		name string
		keys []string
		v    any
	}{
		{"rawRecord", recordKeys, rawRecord{}},
		{"rawExtended", extendedKeys, rawExtended{}},
		{"rawTask", taskKeys, rawTask{}},
	} {
		if got := tags(tt.v); !slices.Equal(got, tt.keys) {
			t.Errorf("JSON tags of %s = %q, decodeRecord's keys = %q", tt.name, got, tt.keys)
		}
	}
}

// TestReadOneByteAtATime reads the Helsinki requests through a reader that returns one byte
// a call, so that every element is split across reads, and compares the records with those
// of a whole read.
func TestReadOneByteAtATime(t *testing.T) {
	data, err := os.ReadFile("../testdata/helsinki/requests.json")
	if err != nil {
		t.Fatal(err)
	}
	read := func(r io.Reader) result {
		rd, err := Open(r, "f", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return readAll(t, rd)
	}
	whole := read(bytes.NewReader(data))
	bytewise := read(iotest.OneByteReader(bytes.NewReader(data)))
	if len(whole.records) != 1380 {
		t.Fatalf("read %d records, want 1380", len(whole.records))
	}
	if !reflect.DeepEqual(whole.records, bytewise.records) {
		t.Error("records read one byte at a time differ from those of a whole read")
	}
}

// TestElementsOfOtherKinds checks what the list's elements that are not objects become:
// bad records with encoding/json's problem, and reading goes on after them.
func TestElementsOfOtherKinds(t *testing.T) {
	text := "[" + goodRequest + `, 12.5, "text", true, null, [1, "]"], {"service_request_id": "b", "status": 3}, ` + goodRequest + `]`
	res := readString(t, "f", text, Options{})
	if res.err != nil {
		t.Fatalf("error %v", res.err)
	}
	var problems []string
	for _, bad := range res.bad {
		problems = append(problems, bad.Error())
	}
	want := []string{
		"f: record 2: the record is a JSON number, not an object",
		"f: record 3: the record is a JSON string, not an object",
		"f: record 4: the record is a JSON boolean, not an object",
		"f: record 5: the record is null, not an object",
		"f: record 6: the record is a JSON array, not an object",
		"f: record 7 (b): status is a JSON number, not a string",
	}
	if !slices.Equal(problems, want) {
		t.Errorf("bad records:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	if got := len(res.requests()); got != 2 {
		t.Errorf("read %d requests, want 2", got)
	}
}

// TestSyntaxErrorOffsets checks that a syntax error names the offset of the byte in the file,
// in the first record and in later ones, and the end of the file inside a value.
func TestSyntaxErrorOffsets(t *testing.T) {
	second := "[" + goodRequest + ",\n  "
	tests := []struct {
		name, text, want string
	}{
		{"bad value in record 2", second + `{"status": x}]`,
			"f: record 2: invalid JSON: near byte offset 108: invalid character 'x' looking for beginning of value"},
		{"bad start of record 2", second + `}]`,
			"f: record 2: invalid JSON: near byte offset 97: invalid character '}' looking for beginning of value"},
		{"wrong closing bracket", second + `{"votes": [1}, ` + goodRequest + `]`,
			"f: record 2: invalid JSON: near byte offset 109: invalid character '}' after array element"},
		{"error before the end of the file", second + `{"status": "open" "b`,
			"f: record 2: invalid JSON: near byte offset 115: invalid character '\"' after object key:value pair"},
		{"white space before the list", "\n\t " + second + `{"status": x}]`,
			"f: record 2: invalid JSON: near byte offset 111: invalid character 'x' looking for beginning of value"},
		{"unfinished number", second + `-, ` + goodRequest + `]`,
			"f: record 2: invalid JSON: near byte offset 98: invalid character ',' in numeric literal"},
		{"unfinished word", second + `tru, ` + goodRequest + `]`,
			"f: record 2: invalid JSON: near byte offset 100: invalid character ',' in literal true (expecting 'e')"},
		{"letter after a number", second + `1x, ` + goodRequest + `]`,
			"f: record 3: invalid JSON: near byte offset 98: expected comma after array element"},
		{"stray quote", second + `{"status": "open"", "description": "x"}]`,
			"f: record 2: invalid JSON: near byte offset 114: invalid character '\"' after object key:value pair"},
		{"file ends in a string", second + `{"status": "op`,
			"f: record 2: unexpected EOF: the file is cut off"},
		{"file ends in a word", second + `tru`,
			"f: record 2: unexpected EOF: the file is cut off"},
		{"file ends after a comma", second,
			"f: record 2: unexpected EOF: the file is cut off"},
		{"file ends after a number", "[" + goodRequest + ", 1",
			"f: the list is not closed: unexpected EOF: the file is cut off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readString(t, "f", tt.text, Options{})
			if res.err == nil || res.err.Error() != tt.want {
				t.Errorf("error = %v, want %q", res.err, tt.want)
			}
			var syntaxErr *jsonSyntaxError
			if strings.Contains(tt.want, "invalid JSON") && !errors.As(res.err, &syntaxErr) {
				t.Errorf("error %v is not a *jsonSyntaxError", res.err)
			}
			// The message names the offset of the byte that it quotes.
			match := offsetPattern.FindStringSubmatch(tt.want)
			if match == nil {
				return
			}
			offset, _ := strconv.Atoi(match[1])
			if got := tt.text[offset : offset+1]; got != match[2] {
				t.Errorf("byte %d of the file is %q, but the message quotes %q", offset, got, match[2])
			}
		})
	}
}

// TestStrayQuoteStopsEarly checks that a quote too many is reported where it is, without
// reading the rest of the file, where the quotes of every later string would be inside out.
func TestStrayQuoteStopsEarly(t *testing.T) {
	var text strings.Builder
	text.WriteString("[" + goodRequest + `, {"description": "x"", "status": "open"}`)
	for text.Len() < 8<<20 {
		text.WriteString(", " + goodRequest)
	}
	text.WriteString("]")
	rd, err := Open(strings.NewReader(text.String()), "f", Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := readAll(t, rd)
	want := "f: record 2: invalid JSON: near byte offset 114: invalid character '\"' after object key:value pair"
	if res.err == nil || res.err.Error() != want {
		t.Errorf("error = %v, want %q", res.err, want)
	}
	if read := rd.InputOffset(); read > 1<<20 {
		t.Errorf("read %d bytes of %d before the error, want under 1 MiB", read, text.Len())
	}
}

var offsetPattern = regexp.MustCompile(`near byte offset (\d+): invalid character '(.)'`)

// FuzzDecodeRecord checks that decodeRecord, whenever it accepts an object, gives what
// encoding/json gives.
func FuzzDecodeRecord(f *testing.F) {
	data, err := os.ReadFile("../testdata/helsinki/requests.json")
	if err != nil {
		f.Fatal(err)
	}
	var elements []json.RawMessage
	if err := json.Unmarshal(data, &elements); err != nil {
		f.Fatal(err)
	}
	for _, element := range elements[:20] {
		f.Add([]byte(element))
	}
	f.Add([]byte(`{"description": "\ud83d\ude00 \u00e4", "lat": -1.5e3, "metadata": true}`))
	f.Add([]byte(`{"extended_attributes": {"media_urls": ["a", null], "tasks": [null, {"task_state": "x"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithUnmarshal(t, data)
	})
}

// FuzzJSONSource reads arbitrary UTF-8 text that starts with "[" as a list. For a valid JSON
// list, every element must come out as encoding/json decodes it, and the list must end with
// io.EOF. For anything else, reading must end with an error.
func FuzzJSONSource(f *testing.F) {
	data, err := os.ReadFile("../testdata/helsinki/requests.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:4000])
	f.Add([]byte("[" + goodRequest + `, 12.5, "te\"xt", true, null, [1, "]"], {"status": 3}` + "]"))
	f.Add([]byte(`[{"votes": [1}, {"a": "\u00e4"}] `))
	f.Add([]byte(`[tru, 1x, -]`))
	f.Add([]byte(`[{"description": "\ud83d", "status": "open"}, {"service_request_id": 1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		text := bytes.TrimLeft(data, " \t\r\n")
		if !utf8.Valid(data) || len(text) == 0 || text[0] != '[' {
			return
		}
		var want []json.RawMessage
		listErr := json.Unmarshal(data, &want)

		src := &jsonSource{in: bufio.NewReader(bytes.NewReader(text[1:])), offset: 1}
		var got []element
		var end error
		for len(got) <= len(data) {
			e, err := src.next()
			if err != nil {
				end = err
				break
			}
			got = append(got, e)
		}

		if listErr != nil {
			if end == io.EOF {
				t.Fatalf("read %d elements and io.EOF from %q, which encoding/json rejects: %v", len(got), data, listErr)
			}
			return
		}
		if end != io.EOF {
			t.Fatalf("reading %q ended with %v, want io.EOF", data, end)
		}
		if len(got) != len(want) {
			t.Fatalf("read %d elements from %q, want %d", len(got), data, len(want))
		}
		for i, raw := range want {
			var record *rawRecord
			err := json.Unmarshal(raw, &record)
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) && got[i].field != typeErr.Field {
				t.Fatalf("element %d (%s): field %q, want %q", i+1, raw, got[i].field, typeErr.Field)
			}
			if record != nil && !reflect.DeepEqual(*got[i].raw, *record) {
				t.Fatalf("element %d (%s) = %+v, want %+v", i+1, raw, *got[i].raw, *record)
			}
			// decodeRecord also reports a lone surrogate escape, which encoding/json turns into
			// U+FFFD without an error.
			surrogate := strings.Contains(got[i].problem, "half of a UTF-16 surrogate pair")
			if (err != nil || record == nil) != (got[i].problem != "") && !surrogate {
				t.Fatalf("element %d (%s): problem %q, encoding/json's error %v", i+1, raw, got[i].problem, err)
			}
		}
	})
}

// TestEachStringVisitsAll fills every string of a rawRecord, lists included, and checks that
// eachString visits each one once.
func TestEachStringVisitsAll(t *testing.T) {
	var r rawRecord
	count := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			count++
			v.SetString("value " + strconv.Itoa(count))
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					fill(v.Field(i))
				}
			}
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem())
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			fill(v.Index(0))
			fill(v.Index(1))
		}
	}
	// scalar's text is unexported, so reflection cannot set it, and its strings are
	// filled here.
	for _, s := range []*scalar{&r.ID, &r.ServiceCode, &r.AddressID, &r.Zipcode, &r.Lat, &r.Long, &r.Metadata, &r.Code} {
		count++
		s.text = "value " + strconv.Itoa(count)
	}
	fill(reflect.ValueOf(&r).Elem())

	visited := map[string]int{}
	r.eachString(func(s *string) { visited[*s]++ })
	if len(visited) != count {
		t.Errorf("eachString visited %d different strings, want all %d", len(visited), count)
	}
	for s, n := range visited {
		if n != 1 {
			t.Errorf("eachString visited %q %d times, want once", s, n)
		}
	}

	var before, after []string
	r.eachString(func(s *string) { before = append(before, *s) })
	r.compact()
	r.eachString(func(s *string) { after = append(after, *s) })
	if !slices.Equal(before, after) {
		t.Errorf("compact changed the strings to %q, want %q", after, before)
	}
}

// TestListEndOffsets checks the offsets named for text after the list, and that a Latin-1
// file, whose offsets in the converted text are not file offsets, gets none.
func TestListEndOffsets(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"UTF-8", Options{}, "f: found { at byte offset 99, after the list that ends at byte offset 95"},
		{"Latin-1", Options{Charset: Latin1}, "f: found { after the end of the list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readString(t, "f", "\n\t["+goodRequest+"]\r\n {}", tt.opts)
			if res.err == nil || res.err.Error() != tt.want {
				t.Errorf("error = %v, want %q", res.err, tt.want)
			}
			if len(res.records) != 1 {
				t.Errorf("read %d records, want 1", len(res.records))
			}
		})
	}
}
