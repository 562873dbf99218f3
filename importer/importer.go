package importer

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// Kind is the content of an import file: requests or services.
type Kind int

// The kinds of import file. An empty JSON list has kind Unknown, because it contains no
// record that identifies requests or services.
const (
	Unknown  Kind = iota
	Requests      // a list of service requests
	Services      // a service list
)

func (k Kind) String() string {
	switch k {
	case Requests:
		return "requests"
	case Services:
		return "services"
	}
	return "unknown"
}

// Format is the syntax of an import file.
type Format string

// The formats that Open detects.
const (
	JSON Format = "json"
	XML  Format = "xml"
)

// Options control how Open reads a file. The zero value reads UTF-8 and UTC.
type Options struct {
	// Location is the time zone of datetimes that carry no zone offset, such as
	// 2015-03-04T14:40:04. Nil means UTC.
	Location *time.Location

	// Charset is the character encoding of the file: UTF8 (the default when empty) or
	// Latin1, also accepted as "iso-8859-1". The standard requires UTF-8, and Open never
	// guesses: a file that is not UTF-8 fails with an *EncodingError unless Charset names
	// Latin1 explicitly. Latin1 converts every byte to its character, so use it only for a
	// file that fails as UTF-8. It rejects the C1 control bytes 0x80 to 0x9F, because a
	// file with them is Windows-1252, and bytes that form a UTF-8 character such as "ä",
	// because a file with them is UTF-8.
	Charset string
}

// Service is one entry of an imported service list. An empty string means the list left the
// value out.
type Service struct {
	Code        string // service_code, kept as text: "015" stays "015"
	Name        string // service_name
	Description string
	Keywords    string // one comma-separated string, as the list gives it
	Group       string
	Type        string // realtime, batch or blackbox, lowercased
	// Metadata is the list's metadata flag: whether the service has a definition with
	// attributes. The importer does not read definitions.
	Metadata bool
}

// Record is one element of an import file. Exactly one of Request and Service is set,
// according to the file's kind.
type Record struct {
	Number  int // 1-based position of the element in the file's list
	Request *georeport.Request
	Service *Service
}

// RecordError is a bad record: an element of the list that breaks an import rule. Next
// reports it and skips it, and the following call of Next reads the next element.
type RecordError struct {
	File   string
	Number int    // 1-based position of the element in the file's list
	ID     string // service_request_id or service_code, when the element has one
	Err    error  // every reason, separated by semicolons
}

func (e *RecordError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("%s: record %d (%s): %v", e.File, e.Number, e.ID, e.Err)
	}
	return fmt.Sprintf("%s: record %d: %v", e.File, e.Number, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// maxUndecided is the maximum number of elements Open reads to learn the kind of a JSON list.
// Every element of a real list identifies its kind, so this only bounds the memory spent on
// a list of objects with unknown fields.
const maxUndecided = 1000

// Reader reads the records of one import file in order, holding one record in memory at a
// time plus read buffers. It is not safe for concurrent use.
type Reader struct {
	name   string
	kind   Kind
	format Format
	loc    *time.Location
	text   *textReader
	src    source

	queue  []element // elements read by Open to learn the kind
	number int       // number of the last element returned
	err    error     // io.EOF or the error that ended reading
}

// source reads the elements of a list one by one.
type source interface {
	// next returns the next element of the list, or io.EOF after the last. A problem that
	// the element's syntax shows, such as a JSON number where an object belongs, comes back
	// as the element's problem, and reading goes on. Any other error ends the file.
	next() (element, error)
}

// element is one element of a list as the source decoded it.
type element struct {
	raw *rawRecord
	// problem is the decoder's reason for rejecting a value, and field the value's field.
	// The field is empty when the element is not an object at all.
	problem string
	field   string
}

// Open detects what r contains and returns a Reader for its records. The file is JSON when
// its first character after a byte-order mark and white space is "[", and XML when it is
// "<". Open reads JSON elements until one identifies the list as requests or services, and
// it reads an XML file's root element: <service_requests> or <services>. name identifies the file
// in every error.
//
// Open returns an *EncodingError when the text read so far is not in the charset of opts.
// It returns an error naming the file when the file is empty or is a JSON object, such as
// a discovery document, or an Open311 error response. It also returns one when the syntax
// is broken before the kind is known, or when the root element or the elements are neither
// requests nor services.
func Open(r io.Reader, name string, opts Options) (*Reader, error) {
	charset, err := ParseCharset(opts.Charset)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}

	text, err := newTextReader(r, name, charset)
	if err != nil {
		return nil, err
	}
	in := bufio.NewReaderSize(text, bufferSize)
	first, err := firstByte(in)
	if err == io.EOF {
		return nil, fmt.Errorf("%s: the file is empty", name)
	}
	if err != nil {
		return nil, readError(name, err)
	}

	rd := &Reader{name: name, loc: loc, text: text}
	switch first {
	case '[':
		err = rd.openJSON(in)
	case '{':
		err = describeJSONObject(name, in)
	case '<':
		err = rd.openXML(in)
	default:
		err = fmt.Errorf("%s: the file is neither JSON nor XML: it starts with %q", name, first)
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// firstByte returns the first byte of in that is not white space, without consuming it.
func firstByte(in *bufio.Reader) (byte, error) {
	for {
		b, err := in.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, in.UnreadByte()
		}
	}
}

// Kind returns what the file contains.
func (rd *Reader) Kind() Kind { return rd.kind }

// Format returns the file's syntax.
func (rd *Reader) Format() Format { return rd.format }

// InputOffset returns the number of bytes of the file read so far, for a progress report. It
// runs ahead of the records returned by up to a few read buffers.
func (rd *Reader) InputOffset() int64 { return rd.text.consumed() }

// Next returns the next record. After the last one it returns io.EOF.
//
// For a bad record, Next returns a *RecordError and a Record with only Number set. The caller
// reports it and calls Next again for the next record. Any other error means that reading
// cannot go on. It is an *EncodingError for a byte not in the file's charset. Otherwise it
// names the file and the record number, and the cause: broken syntax, a file cut off, a
// record over 64 MiB or a failed read. The records returned before such an error are complete and correct, so an
// import may keep them. Once Next returns io.EOF or an error that is not a *RecordError,
// every later call returns the same.
func (rd *Reader) Next() (Record, error) {
	if rd.err != nil {
		return Record{}, rd.err
	}

	var e element
	if len(rd.queue) > 0 {
		e = rd.queue[0]
		rd.queue[0] = element{}
		rd.queue = rd.queue[1:]
	} else {
		var err error
		e, err = rd.read()
		if err != nil {
			rd.err = err
			return Record{}, err
		}
	}
	rd.number++

	rec := Record{Number: rd.number}
	var problems []string
	if e.problem != "" {
		problems = append(problems, e.problem)
	}
	var id string
	switch {
	case e.problem != "" && e.field == "":
		// The element is not an object, so it has no fields to check.
	case rd.kind == Requests:
		r, ps := request(e.raw, rd.loc, e.field)
		rec.Request, id, problems = r, r.ID, append(problems, ps...)
	case rd.kind == Services:
		s, ps := service(e.raw, e.field)
		rec.Service, id, problems = s, s.Code, append(problems, ps...)
	}
	if len(problems) > 0 {
		return Record{Number: rd.number}, &RecordError{
			File:   rd.name,
			Number: rd.number,
			ID:     id,
			Err:    errors.New(strings.Join(problems, "; ")),
		}
	}
	return rec, nil
}

// read returns the next element from the source. It returns io.EOF after the last one, and
// any other error already named with the file and the element's number.
func (rd *Reader) read() (element, error) {
	rd.text.markRecord()
	e, err := rd.src.next()
	var endErr *listEndError
	switch {
	case err == nil || err == io.EOF:
		return e, err
	case errors.As(err, &endErr):
		return element{}, readError(rd.name, endErr.err)
	}
	number := rd.number + len(rd.queue) + 1
	var encodingErr *EncodingError
	if errors.As(err, &encodingErr) {
		encodingErr.Record = number
	}
	return element{}, readError(fmt.Sprintf("%s: record %d", rd.name, number), err)
}

// listEndError is an error found at or after the end of the list, where no record is read.
type listEndError struct{ err error }

func (e *listEndError) Error() string { return e.err.Error() }

func (e *listEndError) Unwrap() error { return e.err }

// readError returns err named with where, the file and perhaps the record. An
// *EncodingError names the file and the offset already and comes back as it is.
func readError(where string, err error) error {
	var encodingErr *EncodingError
	var jsonErr *json.SyntaxError
	var syntaxErr *jsonSyntaxError
	var xmlErr *xml.SyntaxError
	switch {
	case errors.As(err, &encodingErr):
		return encodingErr
	case errors.Is(err, errRecordTooLarge):
		return fmt.Errorf("%s: %w: it is over %d MiB, so the file is probably cut off or malformed",
			where, err, maxRecordBytes>>20)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: %w: the file is cut off", where, err)
	case errors.As(err, &jsonErr) || errors.As(err, &syntaxErr):
		return fmt.Errorf("%s: invalid JSON: %w", where, err)
	case errors.As(err, &xmlErr):
		return fmt.Errorf("%s: invalid XML: %w", where, err)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// noObjects reports whether none of the queued elements is an object, as in a list of lists,
// and returns the problem of the first.
func (rd *Reader) noObjects() (string, bool) {
	for _, e := range rd.queue {
		if e.problem == "" || e.field != "" {
			return "", false
		}
	}
	return rd.queue[0].problem, true
}

// detect reads elements until one identifies the kind of the list, and queues them for Next.
func (rd *Reader) detect() error {
	for {
		e, err := rd.read()
		if err == io.EOF {
			rd.err = io.EOF
			if len(rd.queue) == 0 {
				return nil
			}
			if problem, ok := rd.noObjects(); ok {
				return fmt.Errorf("%s: no record is a JSON object (record 1: %s), so the file contains neither requests nor services", rd.name, problem)
			}
			return fmt.Errorf("%s: no record has a service_request_id or a service_code, so the file contains neither requests nor services", rd.name)
		}
		if err != nil {
			return err
		}
		if len(rd.queue) == 0 && e.raw.isErrorEntry() {
			return fmt.Errorf("%s: the file is an Open311 error response, not requests or services: %s", rd.name, e.raw.errorEntry())
		}

		rd.queue = append(rd.queue, e)
		if kind := e.raw.identify(); kind != Unknown {
			rd.kind = kind
			return nil
		}
		if len(rd.queue) == maxUndecided {
			if problem, ok := rd.noObjects(); ok {
				return fmt.Errorf("%s: none of the first %d records is a JSON object (record 1: %s), so the file contains neither requests nor services", rd.name, maxUndecided, problem)
			}
			return fmt.Errorf("%s: none of the first %d records has a service_request_id or a service_code, so the file contains neither requests nor services", rd.name, maxUndecided)
		}
	}
}
