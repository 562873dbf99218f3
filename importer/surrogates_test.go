package importer

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestLoneSurrogateInDeclinedRecord checks records that decodeRecord declines, which
// encoding/json then decodes. A lone surrogate escape in a kept string makes the record bad,
// and the problem names the field by its struct tag, as decodeRecord does. One in a field
// that is not kept is no problem.
func TestLoneSurrogateInDeclinedRecord(t *testing.T) {
	tests := []struct {
		text, field, escape string
	}{
		// A repeated key: encoding/json keeps the last value.
		{`{"service_request_id": "b", "description": "x", "description": "a \ud83d b"}`, "description", `\ud83d`},
		{`{"service_request_id": "b", "description": "a \ud83d b", "description": "x"}`, "", ""},
		// A key that matches only when case is ignored, and an escaped key.
		{`{"service_request_id": "b", "Description": "\ude00\ud83d\ude00"}`, "description", `\ude00`},
		{`{"service_request_id": "b", "descr\u0069ption": "\udbff"}`, "description", `\udbff`},
		{`{"service_request_id": "b", "Status": "open", "extended_attributes": {"tasks": [{}, {"owner_name": "\udc00x"}]}}`,
			"extended_attributes.tasks[1].owner_name", `\udc00`},
		{`{"service_request_id": "b", "Status": "open", "extended_attributes": {"media_urls": ["a", "\uD800"]}}`,
			"extended_attributes.media_urls[1]", `\uD800`},
		{`{"service_request_id": "b\ud800", "Status": "open"}`, "service_request_id", `\ud800`},
		{`{"service_request_id": "b", "votes": "\ud800", "votes": 1, "Status": "open"}`, "", ""},
		{`{"service_request_id": "b", "Description": "\ud83d\ude00 \\ud800 \"\ud83d\""}`, "description", `\ud83d`},
		{`{"service_request_id": "b", "Description": "\ud83d\ude00 \\ud800 \ufffd"}`, "", ""},
	}
	for _, tt := range tests {
		var r rawRecord
		if _, _, ok := decodeRecord([]byte(tt.text), &r); ok {
			t.Errorf("decodeRecord(%s) = true, want it declined", tt.text)
			continue
		}
		res := readString(t, "f", "["+tt.text+"]", Options{})
		if tt.field == "" {
			if len(res.bad) != 0 || len(res.requests()) != 1 {
				t.Errorf("%s: bad records %v and %d requests, want none bad and 1 request", tt.text, res.bad, len(res.requests()))
			}
			continue
		}
		if len(res.bad) != 1 {
			t.Errorf("%s: bad records %v, want one", tt.text, res.bad)
			continue
		}
		want := tt.field + " contains the escape " + tt.escape + ", half of a UTF-16 surrogate pair"
		if got := res.bad[0].Error(); !strings.Contains(got, want) {
			t.Errorf("%s: bad record %q, want it to contain %q", tt.text, got, want)
		}
	}
}

// TestLoneSurrogatesMatchUnmarshal builds strings of escapes and plain text at random and
// checks that loneSurrogates finds as many escapes as encoding/json turns into U+FFFD.
func TestLoneSurrogatesMatchUnmarshal(t *testing.T) {
	pieces := []string{`\ud83d`, `\ude00`, `\uDBFF`, `\udc00`, `\u0041`, `\u00e4`, `a`, `ä`, `\"`, `\\`, `\\u`, `\n`, `\/`}
	random := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		var b strings.Builder
		b.WriteString(`{"a": "`)
		for range random.IntN(8) {
			b.WriteString(pieces[random.IntN(len(pieces))])
		}
		b.WriteString(`", "b": ["\ud800", 1]}`)
		text := b.String()
		var decoded map[string]any
		if err := json.Unmarshal([]byte(text), &decoded); err != nil {
			t.Fatalf("json.Unmarshal(%s): %v", text, err)
		}
		want := strings.Count(decoded["a"].(string), "\uFFFD") + 1
		if got := len(loneSurrogates([]byte(text))); got != want {
			t.Fatalf("loneSurrogates(%s) found %d, want %d", text, got, want)
		}
	}
}
