package georeport

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// SearchWords splits text into the words that q searches: runs of letters and digits,
// case-folded and without accents, so that "Töhryjä" and "TOHRYJA" give the same word. Every
// store indexes and matches these words, so that search behaves the same on each.
func SearchWords(text string) []string {
	return strings.Fields(SearchText(text))
}

// SearchText returns the words of SearchWords joined by single spaces, as a store indexes
// them, without building the list.
func SearchText(text string) string {
	folded := foldText(text)
	var b strings.Builder
	b.Grow(len(folded))
	inWord := false
	for i := 0; i < len(folded); {
		c := folded[i]
		var word bool
		size := 1
		if c < utf8.RuneSelf {
			word = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(folded[i:])
			word = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		if word {
			if !inWord && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(folded[i : i+size])
		}
		inWord = word
		i += size
	}
	return b.String()
}

// foldText removes accents and folds case. Text of ASCII and of the scripts below U+3000,
// which holds the Latin, Greek and Cyrillic letters of feedback, is folded rune by rune from
// a table; other text goes through the full transformation.
func foldText(text string) string {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(text)
	}

	table := foldTable()
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		case r < foldTableSize:
			b.WriteString(table[r])
		default:
			return foldSlowly(text)
		}
	}
	return b.String()
}

// foldTableSize is the first rune that the table does not hold.
const foldTableSize = 0x3000

// foldTable returns, for each rune below foldTableSize, what foldSlowly makes of it.
var foldTable = sync.OnceValue(func() *[foldTableSize]string {
	var table [foldTableSize]string
	for r := rune(0); r < foldTableSize; r++ {
		table[r] = foldSlowly(string(r))
	}
	return &table
})

// foldChains contains transformers for foldSlowly. A transformer keeps state, so each call
// takes one of its own, and building a chain allocated about 12 KB of buffers each time.
var foldChains = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
}}

// foldSlowly removes accents and folds case with the full Unicode transformation.
func foldSlowly(text string) string {
	chain := foldChains.Get().(transform.Transformer)
	defer foldChains.Put(chain)
	out, _, err := transform.String(chain, text) // String resets the chain first
	if err != nil {
		return strings.ToLower(text)
	}
	return out
}
