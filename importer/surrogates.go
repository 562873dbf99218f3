package importer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"unicode/utf16"
)

// loneSurrogateProblem returns the problem of a record that encoding/json decoded into r from
// the JSON object text, when a string that r keeps had a lone surrogate escape there. It is
// the problem that decodeRecord reports for the records it decodes itself, and field names the
// string as decodeRecord does. A lone surrogate in a field that the import does not keep is
// no problem, because nothing stores it.
func loneSurrogateProblem(text []byte, r *rawRecord) (problem, field string) {
	escapes := loneSurrogates(text)
	if len(escapes) == 0 {
		return "", ""
	}
	decoded := keptStrings(r)
	for _, at := range escapes {
		// encoding/json decodes the escape to U+FFFD. Decoded as \u0000 instead, the escape
		// changes exactly the kept string that contains it.
		marked := slices.Clone(text)
		copy(marked[at+2:at+6], "0000")
		var other *rawRecord
		if err := json.Unmarshal(marked, &other); err != nil || other == nil {
			continue
		}
		for i, s := range keptStrings(other) {
			if i < len(decoded) && s.value != decoded[i].value {
				return loneSurrogateMessage(s.name, text[at:at+6]), s.name
			}
		}
	}
	return "", ""
}

// loneSurrogates returns the offsets of the \u escapes in the JSON strings of text that
// encoding/json decodes to U+FFFD. Such an escape is a high surrogate not followed by the
// escape of a low one, or a low surrogate that does not follow a high one.
func loneSurrogates(text []byte) []int {
	var offsets []int
	inString := false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"':
			inString = !inString
		case c != '\\' || !inString:
		case i+1 < len(text) && text[i+1] == 'u':
			first, ok := hexEscape(text, i)
			if !ok {
				i++
				continue
			}
			if !utf16.IsSurrogate(first) {
				i += 5
				continue
			}
			if second, ok := hexEscape(text, i+6); ok && utf16.DecodeRune(first, second) != '\uFFFD' {
				i += 11
				continue
			}
			offsets = append(offsets, i)
			i += 5
		default:
			i++ // the escaped character, which may be a quote
		}
	}
	return offsets
}

// loneSurrogateMessage returns the problem of a record whose field has the lone surrogate
// escape.
func loneSurrogateMessage(field string, escape []byte) string {
	return fmt.Sprintf("%s contains the escape %s, half of a UTF-16 surrogate pair without the other half, "+
		"which is not a character; write the character as a pair of escapes or as UTF-8", field, escape)
}

// hexEscape returns the code unit of the \u escape at text[at:], if there is one.
func hexEscape(text []byte, at int) (rune, bool) {
	if at+6 > len(text) || text[at] != '\\' || text[at+1] != 'u' {
		return 0, false
	}
	return parseHex4(text[at+2 : at+6])
}

// namedString is a string that a record keeps, with the name of its field as problems write
// it, such as extended_attributes.tasks[1].owner_name.
type namedString struct {
	name, value string
}

// keptStrings returns the strings of r in the order of its fields, with their names. It reads
// the struct tags, because it serves only records with a lone surrogate escape.
func keptStrings(r *rawRecord) []namedString {
	var out []namedString
	var walk func(v reflect.Value, name string)
	walk = func(v reflect.Value, name string) {
		switch {
		case v.Type() == reflect.TypeFor[scalar]():
			out = append(out, namedString{name, v.FieldByName("text").String()})
		case v.Kind() == reflect.String:
			out = append(out, namedString{name, v.String()})
		case v.Kind() == reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), name)
			}
		case v.Kind() == reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", name, i))
			}
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				key := v.Type().Field(i).Tag.Get("json")
				if name != "" {
					key = name + "." + key
				}
				walk(v.Field(i), key)
			}
		}
	}
	walk(reflect.ValueOf(r).Elem(), "")
	return out
}
