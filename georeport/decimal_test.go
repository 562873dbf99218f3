package georeport

import (
	"regexp"
	"testing"
)

// TestPlainDecimalMatchesPattern checks isPlainDecimal against the regular expression it
// writes out, on every string of up to five characters over the characters that matter.
func TestPlainDecimalMatchesPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
	const alphabet = "+-.eE09x "
	var walk func(prefix []byte)
	checked := 0
	walk = func(prefix []byte) {
		s := string(prefix)
		checked++
		if got, want := isPlainDecimal(s), pattern.MatchString(s); got != want {
			t.Errorf("isPlainDecimal(%q) = %v, want %v", s, got, want)
		}
		if len(prefix) == 5 {
			return
		}
		for i := range len(alphabet) {
			walk(append(prefix, alphabet[i]))
		}
	}
	walk(nil)
	if checked < 60_000 {
		t.Fatalf("checked %d strings, want all 66,430", checked)
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"60.1699", 60.1699, true},
		{"-24.5", -24.5, true},
		{"+1e3", 1000, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"0x1p4", 0, false},
		{"1_000", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{"1e400", 0, false},
		{"", 0, false},
		{".", 0, false},
		{"1e", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseDecimal(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseDecimal(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
