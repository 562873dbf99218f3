package georeport

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Text is a localized catalog field: either one string for every language, or a map from
// language code to text. In JSON it is a string or an object, as the catalog file writes it.
type Text struct {
	all    string
	byLang map[string]string
}

// Plain returns a Text with the same string in every language.
func Plain(s string) Text { return Text{all: s} }

// Localized returns a Text from a map of language to text. Empty texts are dropped.
func Localized(byLang map[string]string) Text {
	t := Text{}
	for lang, s := range byLang {
		t = t.With(lang, s)
	}
	return t
}

// With returns a copy of t with the text for one language set. An empty s leaves t as it is.
func (t Text) With(lang, s string) Text {
	if s == "" {
		return t
	}
	out := Text{all: t.all, byLang: make(map[string]string, len(t.byLang)+1)}
	for l, v := range t.byLang {
		out.byLang[l] = v
	}
	out.byLang[lang] = s
	return out
}

// In returns the text in lang. A missing translation falls back to the text of def, then to
// the plain string, then to any language in alphabetical order, so that a field is empty only
// when it has no text at all.
func (t Text) In(lang, def string) string {
	if s := t.byLang[lang]; s != "" {
		return s
	}
	if s := t.byLang[def]; s != "" {
		return s
	}
	if t.all != "" {
		return t.all
	}
	langs := make([]string, 0, len(t.byLang))
	for l := range t.byLang {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		if t.byLang[l] != "" {
			return t.byLang[l]
		}
	}
	return ""
}

// IsZero reports whether the text is empty in every language.
func (t Text) IsZero() bool {
	if t.all != "" {
		return false
	}
	for _, s := range t.byLang {
		if s != "" {
			return false
		}
	}
	return true
}

// Languages returns the languages with their own text, sorted.
func (t Text) Languages() []string {
	langs := make([]string, 0, len(t.byLang))
	for l := range t.byLang {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	return langs
}

// MarshalJSON writes a plain text as a string and a localized one as an object.
func (t Text) MarshalJSON() ([]byte, error) {
	if len(t.byLang) == 0 {
		return json.Marshal(t.all)
	}
	m := make(map[string]string, len(t.byLang)+1)
	for l, s := range t.byLang {
		m[l] = s
	}
	if t.all != "" {
		// A plain text with translations on top keeps its plain form under the empty key.
		m[""] = t.all
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a string, an object of strings, or null.
func (t *Text) UnmarshalJSON(data []byte) error {
	*t = Text{}
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		return json.Unmarshal(data, &t.all)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	for l, s := range m {
		if l == "" {
			t.all = s
			continue
		}
		*t = t.With(l, s)
	}
	return nil
}
