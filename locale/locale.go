// Package locale picks the response language of a request and sorts text by that language's
// collation.
//
// Languages are plain ISO 639-1 codes ("fi", "sv", "en"). A request names one with the
// Helsinki locale parameter, whose values look like "fi", "fi_FI", "fi-FI" or "sv_SE", or
// with the Accept-Language header. Only the language part counts: sv_SE and sv_FI both
// select Swedish.
package locale

import (
	"strings"

	"golang.org/x/text/language"
)

// Set is the list of languages a catalog has, with the default language first.
type Set struct {
	languages []string
}

// NewSet returns the set of languages with def as the default. Languages are lowercased base
// codes; def is added when the list lacks it.
func NewSet(def string, languages []string) Set {
	def = Base(def)
	set := Set{languages: []string{def}}
	for _, l := range languages {
		l = Base(l)
		if l != "" && !set.Has(l) {
			set.languages = append(set.languages, l)
		}
	}
	return set
}

// Default returns the default language.
func (s Set) Default() string {
	if len(s.languages) == 0 {
		return "en"
	}
	return s.languages[0]
}

// Languages returns every language, the default first.
func (s Set) Languages() []string { return s.languages }

// Has reports whether the set contains the language.
func (s Set) Has(lang string) bool {
	for _, l := range s.languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Negotiate returns the response language for a locale parameter and an Accept-Language
// header. A non-empty locale decides alone: its language when the set has it, else the
// default. Without one, the header's language with the highest q-value that the set has
// wins. Without either, or when nothing matches, it returns the default.
func (s Set) Negotiate(localeParam, acceptLanguage string) string {
	if localeParam != "" {
		if l := Base(localeParam); s.Has(l) {
			return l
		}
		return s.Default()
	}
	if acceptLanguage == "" {
		return s.Default()
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return s.Default()
	}
	// ParseAcceptLanguage sorts by q-value, highest first, and drops q=0.
	for _, tag := range tags {
		base, _ := tag.Base()
		if l := base.String(); s.Has(l) {
			return l
		}
	}
	return s.Default()
}

// Base returns the lowercased language part of a locale such as "fi_FI", "sv-SE" or "EN", or
// "" when the value is not a plausible language code.
func Base(locale string) string {
	part := locale
	if i := strings.IndexAny(part, "_-"); i >= 0 {
		part = part[:i]
	}
	if len(part) < 2 || len(part) > 3 {
		return ""
	}
	for _, c := range part {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return ""
		}
	}
	return strings.ToLower(part)
}

// Region returns the conventional locale name with a region for a language, as Helsinki's
// discovery document lists them: fi_FI, sv_FI, en_GB. Other languages get their code alone.
func Region(lang string) string {
	switch lang {
	case "fi":
		return "fi_FI"
	case "sv":
		return "sv_FI"
	case "en":
		return "en_GB"
	}
	return lang
}
