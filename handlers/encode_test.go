package handlers

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceJSONString encodes s one rune at a time, as appendJSONString must, without its
// shortcuts.
func referenceJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkJSONString compares appendJSONString with the reference and checks that the output
// decodes back to s, with U+FFFD for each invalid byte.
func checkJSONString(t *testing.T, s string) {
	t.Helper()
	got := string(appendJSONString(nil, s))
	if want := referenceJSONString(s); got != want {
		t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
	}
	var back string
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatalf("appendJSONString(%q) = %s, which is not JSON: %v", s, got, err)
	}
	if want := string([]rune(s)); back != want {
		t.Fatalf("appendJSONString(%q) decodes to %q, want %q", s, back, want)
	}
}

// TestAppendJSONString puts each character that needs care after runs of plain ASCII of every
// length up to 16, then checks random mixes of them.
func TestAppendJSONString(t *testing.T) {
	specials := []string{"\"", "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", " ", "~",
		"ä", "ö", "€", "\u2028", "\u2029", "😀", "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xc0\xaf", "\xef\xbf\xbd"}
	for _, special := range specials {
		for before := range 17 {
			for _, after := range []int{0, 1, 7, 8, 9} {
				checkJSONString(t, strings.Repeat("a", before)+special+strings.Repeat("b", after))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		var b strings.Builder
		for range rng.IntN(40) {
			if rng.IntN(4) == 0 {
				b.WriteString(specials[rng.IntN(len(specials))])
			} else {
				b.WriteByte(byte(' ' + rng.IntN(95)))
			}
		}
		checkJSONString(t, b.String())
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("Kuoppa tiellä \"Mannerheimintie\" \\ 12\n")
	f.Add("\xff\xc3\u2028abcdefgh")
	f.Fuzz(checkJSONString)
}
