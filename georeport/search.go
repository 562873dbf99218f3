package georeport

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// SearchWords splits text into the words that q searches: runs of letters and digits,
// case-folded and without accents, so that "Töhryjä" and "TOHRYJA" give the same word. Every
// store indexes and matches these words, so that search behaves the same on each.
func SearchWords(text string) []string {
	folded := foldText(text)
	return strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// foldText removes accents and folds case.
func foldText(text string) string {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(text)
	}
	// A transformer keeps state, so each call builds its own chain.
	chain := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
	out, _, err := transform.String(chain, text)
	if err != nil {
		return strings.ToLower(text)
	}
	return out
}
