package importer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// jsonSource reads the elements of a JSON list one at a time.
type jsonSource struct {
	dec *json.Decoder
	// skipped is the number of bytes of the file before the decoder's input, the byte-order
	// mark, or -1 when the input is converted from Latin-1 and decoder offsets are not file
	// offsets.
	skipped int64
	done    bool
}

// openJSON reads the opening bracket of a JSON list and the elements that tell its kind.
func (rd *Reader) openJSON(in *bufio.Reader) error {
	dec := json.NewDecoder(in)
	if _, err := dec.Token(); err != nil {
		return readError(rd.name, err)
	}
	rd.format = JSON
	skipped := rd.text.skipped
	if rd.text.charset == Latin1 {
		skipped = -1
	}
	rd.src = &jsonSource{dec: dec, skipped: skipped}
	return rd.detect()
}

func (s *jsonSource) next() (element, error) {
	if s.done {
		return element{}, io.EOF
	}
	if !s.dec.More() {
		return element{}, s.finish()
	}

	var raw *rawRecord
	err := s.dec.Decode(&raw)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr) && s.skipped >= 0:
		return element{}, fmt.Errorf("near byte offset %d: %w", s.skipped+syntaxErr.Offset, err)
	case errors.As(err, &typeErr):
		// The decoder has read the whole element and filled what fits, so the record can be
		// reported with its id and the next one read.
		if raw == nil {
			raw = &rawRecord{}
		}
		return element{raw: raw, problem: describeTypeError(typeErr), field: typeErr.Field}, nil
	case err != nil:
		return element{}, err
	case raw == nil:
		return element{raw: &rawRecord{}, problem: "the record is null, not an object"}, nil
	}
	return element{raw: raw}, nil
}

// finish reads the closing bracket of the list and checks that only white space follows.
// It returns io.EOF when the file ends there, and otherwise a *listEndError.
func (s *jsonSource) finish() error {
	s.done = true
	tok, err := s.dec.Token()
	switch {
	case err == io.EOF:
		return &listEndError{fmt.Errorf("the list is not closed: %w", io.ErrUnexpectedEOF)}
	case err != nil:
		return err
	case tok != json.Delim(']'):
		return &listEndError{fmt.Errorf("found %v where the list should end", tok)}
	}

	tok, err = s.dec.Token()
	switch {
	case err == io.EOF:
		return io.EOF
	case err != nil:
		return &listEndError{fmt.Errorf("after the end of the list: %w", err)}
	}
	return &listEndError{fmt.Errorf("found %v after the end of the list", tok)}
}

// describeTypeError returns the problem of a value whose JSON type the field cannot take.
func describeTypeError(err *json.UnmarshalTypeError) string {
	if err.Field == "" {
		return fmt.Sprintf("the record is a JSON %s, not an object", err.Value)
	}
	return fmt.Sprintf("%s is a JSON %s, not %s", err.Field, err.Value, jsonTypeName(err.Type))
}

// jsonTypeName returns the JSON name of what a Go type decodes from, with an article.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		return "an object"
	}
	return t.Kind().String()
}

// describeJSONObject returns the error for a file that holds a JSON object where a list
// belongs. A discovery document is named as one, because it is the usual mistake.
func describeJSONObject(name string, in *bufio.Reader) error {
	var object struct {
		Endpoints json.RawMessage `json:"endpoints"`
	}
	err := json.NewDecoder(in).Decode(&object)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return readError(name, err)
	}
	if object.Endpoints != nil {
		return fmt.Errorf("%s: the file is a discovery document, not a list of requests or services", name)
	}
	return fmt.Errorf("%s: the file is a JSON object: an import file is a JSON list of requests or services", name)
}
