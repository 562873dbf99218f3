package georeport

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

func TestParseDateTime(t *testing.T) {
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		in     string
		loc    *time.Location
		want   time.Time
		wantOK bool
	}{
		{"utc", "2024-03-05T08:15:30Z", time.UTC, time.Date(2024, 3, 5, 8, 15, 30, 0, time.UTC), true},
		{"lowercase z and t", "2024-03-05t08:15:30z", time.UTC, time.Date(2024, 3, 5, 8, 15, 30, 0, time.UTC), true},
		{"offset", "2024-03-05T10:15:30+02:00", time.UTC, time.Date(2024, 3, 5, 8, 15, 30, 0, time.UTC), true},
		{"negative offset", "2018-07-30T00:01:00-04:00", time.UTC, time.Date(2018, 7, 30, 4, 1, 0, 0, time.UTC), true},
		{"fraction", "2015-03-20T05:10:41.818Z", time.UTC, time.Date(2015, 3, 20, 5, 10, 41, 818e6, time.UTC), true},
		{"plus decoded as space", "2024-03-05T10:15:30 02:00", time.UTC, time.Date(2024, 3, 5, 8, 15, 30, 0, time.UTC), true},
		{"plus decoded as space with fraction", "2024-03-05T10:15:30.5 02:00", time.UTC, time.Date(2024, 3, 5, 8, 15, 30, 5e8, time.UTC), true},
		{"space separator", "2024-03-05 08:15:30Z", time.UTC, time.Date(2024, 3, 5, 8, 15, 30, 0, time.UTC), true},
		{"no zone is local summer time", "2024-07-01T12:00:00", helsinki, time.Date(2024, 7, 1, 9, 0, 0, 0, time.UTC), true},
		{"no zone is local winter time", "2024-01-15T11:00:00", helsinki, time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC), true},
		{"date alone is the start of the day", "2024-03-05", helsinki, time.Date(2024, 3, 4, 22, 0, 0, 0, time.UTC), true},
		{"surrounding spaces", " 2024-03-05 ", time.UTC, time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), true},
		{"word", "yesterday", time.UTC, time.Time{}, false},
		{"month 13", "2015-13-45T00:00:00Z", time.UTC, time.Time{}, false},
		{"hour 25", "2024-03-05T25:00:00Z", time.UTC, time.Time{}, false},
		{"february 30", "2024-02-30T00:00:00Z", time.UTC, time.Time{}, false},
		{"minute 61", "2024-01-01T24:61:00Z", time.UTC, time.Time{}, false},
		{"five digit year", "99999-01-01T00:00:00Z", time.UTC, time.Time{}, false},
		{"day first", "12/03/2024", time.UTC, time.Time{}, false},
		{"dotted date", "05.03.2024", time.UTC, time.Time{}, false},
		{"negative number", "-1", time.UTC, time.Time{}, false},
		{"nul", "\x00", time.UTC, time.Time{}, false},
		{"empty", "", time.UTC, time.Time{}, false},
		{"minutes only", "2024-03-05T08:15", time.UTC, time.Time{}, false},
		{"offset without colon", "2024-03-05T08:15:30+0200", time.UTC, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseDateTime(tt.in, tt.loc)
			if ok != tt.wantOK {
				t.Fatalf("ParseDateTime(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
			}
			if ok && !got.Equal(tt.want) {
				t.Errorf("ParseDateTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatDateTimeOffsets(t *testing.T) {
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2024, 7, 1, 9, 0, 0, 0, time.UTC), helsinki, "2024-07-01T12:00:00+03:00"},
		{time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC), helsinki, "2024-01-15T11:00:00+02:00"},
		{time.Date(2024, 1, 15, 9, 0, 0, 999e6, time.UTC), time.UTC, "2024-01-15T09:00:00Z"},
	}
	for _, tt := range tests {
		if got := FormatDateTime(tt.in, tt.loc); got != tt.want {
			t.Errorf("FormatDateTime(%v, %v) = %q, want %q", tt.in, tt.loc, got, tt.want)
		}
	}
}

func TestSearchWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Seinässä on Töhryjä", []string{"seinassa", "on", "tohryja"}},
		{"TÖHRYJÄ, töhryjä!", []string{"tohryja", "tohryja"}},
		{"Trasig bänk vid Åbo", []string{"trasig", "bank", "vid", "abo"}},
		{"Straße", []string{"strasse"}},
		{"' OR 1=1 --", []string{"or", "1", "1"}},
		{"*", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(SearchWords(tt.in), tt.want, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("SearchWords(%q) (-got +want):\n%s", tt.in, diff)
		}
	}
}

// TestFoldTableMatchesTransformation checks that folding rune by rune gives the words of the
// full transformation, for every rune of the table and for text that mixes them with
// combining marks.
func TestFoldTableMatchesTransformation(t *testing.T) {
	for r := rune(0x80); r < foldTableSize; r++ {
		text := "a" + string(r) + "b"
		if got, want := strings.Join(SearchWords(text), " "), strings.Join(strings.FieldsFunc(foldSlowly(text), notWordRune), " "); got != want {
			t.Errorf("SearchWords(%q) = %q, the full transformation gives %q", text, got, want)
		}
	}
	for _, text := range []string{"Töhryjä Åbo", "e\u0301te\u0301", "Straße ΣΊΣΥΦΟΣ Ёлка", "Việt Nam", "ﬁnal 한국어 ＡＢＣ"} {
		if got, want := strings.Join(SearchWords(text), " "), strings.Join(strings.FieldsFunc(foldSlowly(text), notWordRune), " "); got != want {
			t.Errorf("SearchWords(%q) = %q, the full transformation gives %q", text, got, want)
		}
	}
}

// TestFoldSlowlyReusesChains folds texts one after another with the pooled chains, and
// checks each against a chain of its own.
func TestFoldSlowlyReusesChains(t *testing.T) {
	texts := []string{"Kuoppa 😀 tiellä", "e\u0301te\u0301 🚲", "ＡＢＣ Ääni 🌧", "漢字 Öljy", "x\u0301"}
	for range 3 {
		for _, text := range texts {
			fresh := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
			want, _, err := transform.String(fresh, text)
			if err != nil {
				t.Fatal(err)
			}
			if got := foldSlowly(text); got != want {
				t.Errorf("foldSlowly(%q) = %q, want %q", text, got, want)
			}
		}
	}
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
