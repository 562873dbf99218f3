package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// jsonSource reads the elements of a JSON list one at a time. It finds where each element
// ends itself, decodes the usual record with decodeRecord, and leaves the rest to
// encoding/json, whose results and messages every element gets.
type jsonSource struct {
	in *bufio.Reader
	// offset is the number of bytes of in consumed so far.
	offset int64
	// skipped is the number of bytes of the file before in, the byte-order mark, or -1 when
	// the input is converted from Latin-1 and offsets in it are not file offsets.
	skipped int64
	started bool // an element has been read, so a comma must come before the next
	done    bool
	element []byte // text of the current element
	split   splitter
}

// openJSON reads the opening bracket of a JSON list and the elements that tell its kind.
func (rd *Reader) openJSON(in *bufio.Reader) error {
	if _, err := in.ReadByte(); err != nil {
		return readError(rd.name, err)
	}
	rd.format = JSON
	skipped := rd.text.skipped
	if rd.text.charset == Latin1 {
		skipped = -1
	}
	// White space before the bracket is consumed too, so the offset is the number of bytes
	// that in has read from the text reader, less those it still buffers.
	offset := rd.text.returned - int64(in.Buffered())
	rd.src = &jsonSource{in: in, offset: offset, skipped: skipped}
	return rd.detect()
}

func (s *jsonSource) next() (element, error) {
	if s.done {
		return element{}, io.EOF
	}
	c, err := s.peekNonSpace()
	switch {
	case err == io.EOF:
		s.done = true
		return element{}, &listEndError{fmt.Errorf("the list is not closed: %w", io.ErrUnexpectedEOF)}
	case err != nil:
		return element{}, err
	case c == ']':
		return element{}, s.finish()
	case s.started && c != ',':
		return element{}, s.syntaxError("expected comma after array element", s.offset)
	case s.started:
		s.discard(1)
		if _, err := s.peekNonSpace(); err != nil {
			return element{}, unexpectedEOF(err)
		}
	}
	s.started = true

	start := s.offset
	if err := s.readElement(); err != nil {
		return element{}, s.cutOff(start, err)
	}
	raw := &rawRecord{}
	if len(s.element) > 0 && s.element[0] == '{' {
		if problem, field, ok := decodeRecord(s.element, raw); ok {
			return element{raw: raw, problem: problem, field: field}, nil
		}
	}
	return s.decodeElement(start)
}

// decodeElement decodes the current element with encoding/json. A lone surrogate escape in
// a string that the record keeps is a problem, as with decodeRecord.
func (s *jsonSource) decodeElement(start int64) (element, error) {
	text := s.element
	if s.split.literal != nil && !json.Valid(text) {
		// encoding/json reports an unfinished word or number at the byte after it, which
		// the splitter left in the input.
		if next, err := s.in.Peek(1); err == nil {
			text = append(text, next[0])
		}
	}
	var raw *rawRecord
	err := json.Unmarshal(text, &raw)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		return element{}, s.syntaxError(syntaxErr.Error(), start+syntaxErr.Offset-1)
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
	problem, field := loneSurrogateProblem(text, raw)
	return element{raw: raw, problem: problem, field: field}, nil
}

// cutOff returns the error for an element that ends early because reading failed with err.
// A syntax error in the part that was read comes first, as it does for encoding/json.
func (s *jsonSource) cutOff(start int64, err error) error {
	// Unmarshal checks the syntax in place. An error at the end of the text is the end of
	// the part that was read, or a bad last byte, which is then reported as the read error.
	var syntaxErr *json.SyntaxError
	if errors.As(json.Unmarshal(s.element, &struct{}{}), &syntaxErr) && syntaxErr.Offset < int64(len(s.element)) {
		return s.syntaxError(syntaxErr.Error(), start+syntaxErr.Offset-1)
	}
	return unexpectedEOF(err)
}

// unexpectedEOF turns the end of the file inside a value into io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// syntaxError returns a syntax error at the offset in the input, naming the file offset
// when it is known.
func (s *jsonSource) syntaxError(message string, offset int64) error {
	err := &jsonSyntaxError{message}
	if s.skipped < 0 {
		return err
	}
	return fmt.Errorf("near byte offset %d: %w", s.skipped+offset, err)
}

// jsonSyntaxError is a syntax error in a JSON list. It carries a message of its own, which
// json.SyntaxError cannot.
type jsonSyntaxError struct{ message string }

func (e *jsonSyntaxError) Error() string { return e.message }

// finish reads the closing bracket of the list and checks that only white space follows.
// It returns io.EOF when the file ends there, and otherwise a *listEndError, which names the
// offsets of what follows and of the bracket, so that a reader can tell which bracket
// closed the list.
func (s *jsonSource) finish() error {
	s.done = true
	end := s.offset
	s.discard(1)
	if _, err := s.peekNonSpace(); err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return &listEndError{err}
	}
	where := "after the end of the list"
	if s.skipped >= 0 {
		where = fmt.Sprintf("at byte offset %d, after the list that ends at byte offset %d", s.skipped+s.offset, s.skipped+end)
	}

	tok, err := json.NewDecoder(s.in).Token()
	if err != nil {
		return &listEndError{fmt.Errorf("%s: %w", where, err)}
	}
	return &listEndError{fmt.Errorf("found %v %s", tok, where)}
}

// peekNonSpace discards white space and returns the next byte without consuming it.
func (s *jsonSource) peekNonSpace() (byte, error) {
	for {
		b, err := s.in.Peek(1)
		if err != nil {
			return 0, err
		}
		if !isSpace(b[0]) {
			return b[0], nil
		}
		s.discard(1)
	}
}

func (s *jsonSource) discard(n int) {
	s.in.Discard(n)
	s.offset += int64(n)
}

// readElement reads the text of the next element into s.element.
func (s *jsonSource) readElement() error {
	s.element = s.element[:0]
	s.split.reset()
	for {
		if s.in.Buffered() == 0 {
			if _, err := s.in.Peek(1); err != nil {
				if err == io.EOF && s.split.literal != nil && json.Valid(s.element) {
					// A number or a word at the end of the file.
					return nil
				}
				return err
			}
		}
		chunk, _ := s.in.Peek(s.in.Buffered())
		n, end := s.split.scan(chunk)
		s.element = append(s.element, chunk[:n]...)
		s.discard(n)
		if end {
			return nil
		}
	}
}

// splitter finds the end of a JSON value in the chunks of text that follow its start. It
// follows strings and brackets and checks only the byte after each string. encoding/json
// checks the rest of the syntax after.
type splitter struct {
	open     []byte // brackets not closed yet, the innermost last
	started  bool
	inString bool
	escaped  bool
	// literal is the class of the bytes of a value that is a number or a word such as true:
	// numberByte or letterByte. It is nil for other values.
	literal func(byte) bool
	// afterString is set after a string closes inside an object or a list, until the next
	// byte that is not white space.
	afterString bool
}

func (sp *splitter) reset() { *sp = splitter{open: sp.open[:0]} }

// scan returns how many bytes of chunk belong to the value, and whether the value ends
// within them. A closing bracket of the wrong kind ends the value too, because the value
// is broken there.
func (sp *splitter) scan(chunk []byte) (int, bool) {
	i := 0
	if !sp.started {
		sp.started = true
		switch c := chunk[0]; {
		case c == '{' || c == '[':
			sp.open = append(sp.open, c)
			i = 1
		case c == '"':
			sp.inString = true
			i = 1
		case c == '-' || '0' <= c && c <= '9':
			sp.literal = numberByte
		case letterByte(c):
			sp.literal = letterByte
		default:
			// Not the start of any value. encoding/json reports the byte.
			return 1, true
		}
	}

	for ; i < len(chunk); i++ {
		c := chunk[i]
		switch {
		case sp.literal != nil:
			if !sp.literal(c) {
				return i, true
			}
		case sp.escaped:
			sp.escaped = false
		case sp.inString:
			// Strings are most of a record, so they are searched with IndexByte.
			rest := chunk[i:]
			quote := bytes.IndexByte(rest, '"')
			if quote < 0 {
				quote = len(rest)
			}
			if backslash := bytes.IndexByte(rest[:quote], '\\'); backslash >= 0 {
				i += backslash
				sp.escaped = true
				continue
			}
			if quote == len(rest) {
				return len(chunk), false
			}
			i += quote
			sp.inString = false
			if len(sp.open) == 0 {
				return i + 1, true
			}
			sp.afterString = true
		case sp.afterString && !isSpace(c):
			// Only a colon, a comma or a closing bracket may follow a string. A stray quote
			// otherwise turns the rest of the file inside out, and the splitter would read
			// up to the size limit before encoding/json saw the error.
			sp.afterString = false
			switch c {
			case ':', ',':
			case '}', ']':
				if sp.close(c) {
					return i + 1, true
				}
			default:
				return i + 1, true
			}
		case c == '"':
			sp.inString = true
		case c == '{' || c == '[':
			sp.open = append(sp.open, c)
		case c == '}' || c == ']':
			if sp.close(c) {
				return i + 1, true
			}
		}
	}
	return len(chunk), false
}

// close pops the bracket that c closes, and reports whether the value ends there: at its
// outermost bracket, or at a bracket of the wrong kind.
func (sp *splitter) close(c byte) bool {
	last := sp.open[len(sp.open)-1]
	sp.open = sp.open[:len(sp.open)-1]
	return len(sp.open) == 0 || (c == '}') != (last == '{')
}

// isSpace reports whether c is JSON white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// numberByte reports whether c may belong to a JSON number. A number ends before any other
// byte, as it does for encoding/json, so "1x" is the number 1 followed by x.
func numberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// letterByte reports whether c is an ASCII letter. A word such as true ends before any other
// byte, and letters that fit no word stay with it, so that encoding/json's message names them.
func letterByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// describeTypeError returns the problem of a value whose JSON type the field cannot take.
func describeTypeError(err *json.UnmarshalTypeError) string {
	// encoding/json names a boolean "bool", and the record's own checks write "boolean".
	value := err.Value
	if value == "bool" {
		value = "boolean"
	}
	if err.Field == "" {
		return fmt.Sprintf("the record is a JSON %s, not an object", value)
	}
	return fmt.Sprintf("%s is a JSON %s, not %s", err.Field, value, jsonTypeName(err.Type))
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
