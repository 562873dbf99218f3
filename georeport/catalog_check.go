package georeport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// jsonShape is the JSON type a catalog field must have.
type jsonShape int

const (
	shapeString  jsonShape = iota
	shapeText              // a string, or an object from language code to string
	shapeInt               // a whole number
	shapeBool              // true or false
	shapeStrings           // an array of strings
	shapeObject            // an object of the kind named by the field's kind
	shapeArray             // an array of objects of the kind named by the field's kind
)

type fieldRule struct {
	shape jsonShape
	kind  string // object kind for shapeObject and shapeArray
}

// catalogSchema lists the fields of each object kind of a catalog file and their shapes.
var catalogSchema = map[string]map[string]fieldRule{
	"catalog": {
		"default_locale": {shape: shapeString}, "locales": {shape: shapeStrings},
		"jurisdictions": {shape: shapeArray, kind: "jurisdiction"}, "services": {shape: shapeArray, kind: "service"},
		"contact": {shape: shapeText}, "key_service": {shape: shapeText}, "changeset": {shape: shapeString},
		"endpoint_type": {shape: shapeString},
	},
	"jurisdiction": {"id": {shape: shapeString}, "name": {shape: shapeText}, "moderation": {shape: shapeString}},
	"service": {
		"jurisdiction": {shape: shapeString}, "service_code": {shape: shapeString}, "service_name": {shape: shapeText},
		"description": {shape: shapeText}, "keywords": {shape: shapeText}, "group": {shape: shapeText},
		"type": {shape: shapeString}, "location": {shape: shapeString},
		"description_length": {shape: shapeObject, kind: "range"}, "service_notice": {shape: shapeText},
		"agency_responsible": {shape: shapeString}, "expected_days": {shape: shapeInt},
		"attributes": {shape: shapeArray, kind: "attribute"},
		// metadata is derived from the attributes; a catalog copied from a service list may
		// still carry it.
		"metadata": {shape: shapeBool},
	},
	"attribute": {
		"code": {shape: shapeString}, "datatype": {shape: shapeString}, "required": {shape: shapeBool},
		"variable": {shape: shapeBool}, "order": {shape: shapeInt}, "description": {shape: shapeText},
		"datatype_description": {shape: shapeText}, "values": {shape: shapeArray, kind: "value"},
	},
	"value": {"key": {shape: shapeString}, "name": {shape: shapeText}},
	"range": {"min": {shape: shapeInt}, "max": {shape: shapeInt}},
}

// checkCatalogFile checks that data is UTF-8 JSON whose objects have only the catalog's
// fields, each of its JSON type. It returns every problem, each naming where it is.
func checkCatalogFile(data []byte) []string {
	if !utf8.Valid(data) {
		offset := invalidUTF8Offset(data)
		return []string{fmt.Sprintf("byte offset %d (byte 0x%02X) is not valid UTF-8; save the file as UTF-8", offset, data[offset])}
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var raw any
	if err := decoder.Decode(&raw); err != nil {
		return []string{describeSyntaxError(data, err)}
	}
	if decoder.More() {
		return []string{"the file continues after the catalog object; a catalog file holds one JSON object"}
	}
	root, ok := raw.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("the file is a JSON %s; a catalog file holds one JSON object", jsonTypeName(raw))}
	}
	problems := checkObject("catalog", "catalog", root)
	sort.Strings(problems)
	return problems
}

func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

func describeSyntaxError(data []byte, err error) string {
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		return fmt.Sprintf("not a JSON document: %v", err)
	}
	before := data[:min(int(syntax.Offset), len(data))]
	line := 1 + bytes.Count(before, []byte("\n"))
	column := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d (byte offset %d): %v", line, column, syntax.Offset, err)
}

// checkObject checks the fields of one object of the kind. where names the object in
// problems, such as "service BAD-TYPE".
func checkObject(kind, where string, obj map[string]any) []string {
	var problems []string
	schema := catalogSchema[kind]
	for field, value := range obj {
		rule, known := schema[field]
		if !known {
			problems = append(problems, fmt.Sprintf("%s: unknown field %q", where, field))
			continue
		}
		if value == nil {
			continue // null counts as absent
		}
		problems = append(problems, checkField(rule, where, field, value)...)
	}
	return problems
}

func checkField(rule fieldRule, where, field string, value any) []string {
	wrong := func(want string) []string {
		return []string{fmt.Sprintf("%s: %s must be %s, not a JSON %s", where, field, want, jsonTypeName(value))}
	}
	switch rule.shape {
	case shapeString:
		if _, ok := value.(string); !ok {
			return wrong("a string")
		}
	case shapeText:
		if _, ok := value.(string); ok {
			return nil
		}
		obj, ok := value.(map[string]any)
		if !ok {
			return wrong(`a string or an object of language and text, such as {"fi": "…", "en": "…"}`)
		}
		for lang, text := range obj {
			if _, ok := text.(string); !ok {
				return []string{fmt.Sprintf("%s: %s[%q] must be a string, not a JSON %s", where, field, lang, jsonTypeName(text))}
			}
		}
	case shapeInt:
		n, ok := value.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			return wrong("a whole number")
		}
	case shapeBool:
		if _, ok := value.(bool); !ok {
			return wrong("true or false")
		}
	case shapeStrings:
		list, ok := value.([]any)
		if !ok {
			return wrong("an array of strings")
		}
		for _, item := range list {
			if _, ok := item.(string); !ok {
				return wrong("an array of strings")
			}
		}
	case shapeObject:
		obj, ok := value.(map[string]any)
		if !ok {
			return wrong("an object")
		}
		return checkObject(rule.kind, where+": "+field, obj)
	case shapeArray:
		list, ok := value.([]any)
		if !ok {
			return wrong("an array of objects")
		}
		var problems []string
		for i, item := range list {
			obj, ok := item.(map[string]any)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s item %d must be an object, not a JSON %s",
					where, field, i+1, jsonTypeName(item)))
				continue
			}
			problems = append(problems, checkObject(rule.kind, itemName(where, rule.kind, i, obj), obj)...)
		}
		return problems
	}
	return nil
}

// itemName names an item of an array in problems by its code or id, else by its position.
func itemName(where, kind string, index int, obj map[string]any) string {
	prefix := ""
	if where != "catalog" {
		prefix = where + ": "
	}
	for _, key := range []string{"service_code", "code", "id", "key"} {
		if name, ok := obj[key].(string); ok && name != "" {
			return prefix + kind + " " + name
		}
	}
	return fmt.Sprintf("%s%s %d", prefix, kind, index+1)
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", v), "*")
}
