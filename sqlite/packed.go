package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/open311-to-go/open311/georeport"
)

// packedColumns reads a request as three values: lat, long and one text with every other
// column of the row. Each column is its length in bytes, a colon and its text, and a NULL is a
// colon alone. The driver locks the connection for each column it reads, so SQLite packs the
// columns into one. Lengths need no escapes, unlike a JSON array, so decoding only slices the
// text. Lat and long stay apart to keep every bit of the float64.
var packedColumns = packColumns(false)

// packedStandardColumns reads what packedColumns does, with NULL for each column that lists
// without extensions never show, for queries with StandardFields. A page of such a list then
// packs and decodes about half the text: the tasks alone average about 490 bytes of JSON in
// a store that open311 seed filled.
var packedStandardColumns = packColumns(true)

// packedFieldColumns are the columns of the packed text in order, and whether a query with
// StandardFields reads each.
var packedFieldColumns = [...]struct {
	name     string
	standard bool
}{
	{"service_request_id", true}, {"jurisdiction", true}, {"token", false},
	{"service_code", true}, {"service_name", true}, {"status", true},
	{"status_notes", true}, {"description", true}, {"agency_responsible", true},
	{"service_notice", true}, {"requested_at", true}, {"updated_at", true},
	{"expected_at", true}, {"address", true}, {"address_id", true},
	{"zipcode", true}, {"media_url", true}, {"title", false},
	{"detailed_status", false}, {"media_urls", false}, {"service_object_id", false},
	{"service_object_type", false}, {"tasks", false}, {"attributes", false},
	{"hidden", true}, {"email", false}, {"first_name", false},
	{"last_name", false}, {"phone", false}, {"device_id", false},
	{"account_id", false},
}

// packColumns returns the select list of packedColumns, or of packedStandardColumns when
// standard is set.
func packColumns(standard bool) string {
	return concatColumns(standard, ", ", "':'", func(name string) string {
		return fmt.Sprintf("octet_length(%s), ':', %s", name, name)
	})
}

// concatColumns returns lat, long and a concat of the columns of packedFieldColumns: each
// column as column writes it, between written between columns, and absent in place of a
// column that a query with StandardFields leaves out when standard is set.
func concatColumns(standard bool, between, absent string, column func(name string) string) string {
	var b strings.Builder
	b.WriteString("lat, long, concat(")
	for i, c := range packedFieldColumns {
		if i > 0 {
			b.WriteString(between)
		}
		if standard && !c.standard {
			b.WriteString(absent)
			continue
		}
		b.WriteString(column(c.name))
	}
	b.WriteString(")")
	return b.String()
}

// packedFields is the number of columns in the text of packedColumns.
const packedFields = len(packedFieldColumns)

// separatedColumns reads what packedColumns does, but with fieldSeparator between the
// columns of the text instead of a length before each, and a NULL as empty text. Rendering
// 31 lengths as text took about 5% of the CPU of circle pages. Without them, circles at
// 1,000,000 requests served 1,667 pages/s against 1,598 (wrk, 32 connections).
//
// checkText and the importer reject the separator, a control character, in every text. A
// row that contains it anyway reads as errSeparator, and readRows leaves it for its callers
// to read again with packedColumns. separatedStandardColumns is the same for
// StandardFields.
var (
	separatedColumns         = separateColumns(false)
	separatedStandardColumns = separateColumns(true)
)

// fieldSeparator is the ASCII unit separator.
const fieldSeparator = '\x1f'

// separateColumns returns the select list of separatedColumns, or of
// separatedStandardColumns when standard is set.
//
// The separators between two columns that are read form one argument of concat, such as
// char(31, 31, 31) around two columns that StandardFields leaves out. concat then takes 34
// arguments for StandardFields instead of 61, and circles at 1,000,000 requests took 4% less
// time (BenchmarkFindOnFile).
func separateColumns(standard bool) string {
	var args []string
	separators := 0
	flush := func() {
		if separators > 0 {
			args = append(args, "char(31"+strings.Repeat(", 31", separators-1)+")")
			separators = 0
		}
	}
	for i, c := range packedFieldColumns {
		if i > 0 {
			separators++
		}
		if standard && !c.standard {
			continue
		}
		flush()
		args = append(args, c.name)
	}
	flush()
	return "lat, long, concat(" + strings.Join(args, ", ") + ")"
}

// errSeparator reports a text of separatedColumns with more separators than columns, because
// a column contains the separator.
var errSeparator = errors.New("a column contains the field separator")

// scanPacked reads the packedColumns of one row, followed by extra destinations.
func scanPacked(row scanner, extra ...any) (*georeport.Request, error) {
	var lat, long sql.NullFloat64
	var packed string
	if err := row.Scan(append([]any{&lat, &long, &packed}, extra...)...); err != nil {
		return nil, err
	}
	return rowRequest(lat, long, packed, unpackColumns)
}

// rowRequest builds the request of a row from its lat, long and packed text, which split
// divides into columns.
func rowRequest(lat, long sql.NullFloat64, packed string, split func(string) ([packedFields]jsonValue, error)) (*georeport.Request, error) {
	v, err := split(packed)
	if err != nil {
		return nil, err
	}
	r, err := requestOf(&v, packed)
	if err != nil {
		return nil, err
	}
	if lat.Valid && long.Valid {
		r.Location = &georeport.Point{Lat: lat.Float64, Long: long.Float64}
	}
	return r, nil
}

// separatedReader scans rows of separatedColumns and a row id into the same destinations,
// so that a page allocates them once instead of once a row. That saved about 170 bytes a
// row, a tenth of what a circle page allocated. Circles at 1,000,000 requests went from
// 1,644-1,659 to 1,702-1,726 pages/s.
type separatedReader struct {
	lat, long sql.NullFloat64
	packed    string
	rowID     int64
	dest      [4]any
}

func newSeparatedReader() *separatedReader {
	sr := &separatedReader{}
	sr.dest = [4]any{&sr.lat, &sr.long, &sr.packed, &sr.rowID}
	return sr
}

// read scans the current row of rows. It returns the row id with errSeparator too.
func (sr *separatedReader) read(rows scanner) (*georeport.Request, int64, error) {
	if err := rows.Scan(sr.dest[:]...); err != nil {
		return nil, 0, err
	}
	r, err := rowRequest(sr.lat, sr.long, sr.packed, splitColumns)
	return r, sr.rowID, err
}

// errPacked reports a packed text that packedColumns cannot have written.
var errPacked = errors.New("malformed packed row")

// unpackColumns splits the text of packedColumns. The values are slices of packed.
func unpackColumns(packed string) ([packedFields]jsonValue, error) {
	var v [packedFields]jsonValue
	at := 0
	for i := range v {
		n, digits := 0, 0
		for ; at < len(packed) && packed[at] != ':'; at++ {
			c := packed[at]
			if c < '0' || c > '9' || digits == 9 {
				return v, fmt.Errorf("%w: column %d has an invalid length at byte %d", errPacked, i+1, at)
			}
			n = n*10 + int(c-'0')
			digits++
		}
		if at == len(packed) {
			return v, fmt.Errorf("%w: column %d is missing", errPacked, i+1)
		}
		at++
		if digits == 0 {
			v[i].null = true
			continue
		}
		if n > len(packed)-at {
			return v, fmt.Errorf("%w: column %d is cut short", errPacked, i+1)
		}
		v[i].text = packed[at : at+n]
		at += n
	}
	if at != len(packed) {
		return v, fmt.Errorf("%w: %d bytes after the last column", errPacked, len(packed)-at)
	}
	return v, nil
}

// splitColumns splits the text of separatedColumns into slices of packed, and marks the
// empty ones as null.
func splitColumns(packed string) ([packedFields]jsonValue, error) {
	var v [packedFields]jsonValue
	rest := packed
	for i := range packedFields - 1 {
		at := strings.IndexByte(rest, fieldSeparator)
		if at < 0 {
			return v, fmt.Errorf("%w: column %d is missing", errPacked, i+2)
		}
		v[i] = jsonValue{text: rest[:at], null: at == 0}
		rest = rest[at+1:]
	}
	if strings.IndexByte(rest, fieldSeparator) >= 0 {
		return v, errSeparator
	}
	v[packedFields-1] = jsonValue{text: rest, null: rest == ""}
	return v, nil
}

// unpackRequest decodes the text of packedColumns. The request's strings share the memory of
// packed, so a cached request keeps one block for them.
func unpackRequest(packed string) (*georeport.Request, error) {
	v, err := unpackColumns(packed)
	if err != nil {
		return nil, err
	}
	return requestOf(&v, packed)
}

// requestOf builds a request from the columns that unpackColumns or splitColumns found in
// packed.
func requestOf(v *[packedFields]jsonValue, packed string) (*georeport.Request, error) {
	var err error
	r := &georeport.Request{
		ID: v[0].text, Jurisdiction: v[1].text, Token: v[2].text, ServiceCode: v[3].text,
		ServiceName: v[4].text, Status: georeport.Status(v[5].text), StatusNotes: v[6].text,
		Description: v[7].text, AgencyResponsible: v[8].text, ServiceNotice: v[9].text,
		Address: v[13].text, AddressID: v[14].text, Zipcode: v[15].text,
		MediaURL: v[16].text, Title: v[17].text, DetailedStatus: v[18].text,
		ServiceObjectID: v[20].text, ServiceObjectType: v[21].text,
		Reporter: georeport.Reporter{Email: v[25].text, FirstName: v[26].text, LastName: v[27].text,
			Phone: v[28].text, DeviceID: v[29].text, AccountID: v[30].text},
		Visibility: georeport.Public,
	}
	times := [...]*time.Time{&r.Requested, &r.Updated, &r.Expected}
	for i, t := range times {
		if err := v[10+i].time(t); err != nil {
			return nil, fmt.Errorf("request %q: %w", r.ID, err)
		}
	}
	if v[24].text == "1" {
		r.Visibility = georeport.Hidden
	}
	// Unescaped text is never longer than its JSON, so an arena of that length never grows.
	// It is made only when the row has an escape.
	var arena []byte
	if nested := len(v[19].text) + len(v[22].text) + len(v[23].text); strings.Contains(packed, `\`) {
		arena = make([]byte, 0, nested)
	}
	if r.MediaURLs, err = decodeStrings(v[19].text, &arena); err != nil {
		return nil, fmt.Errorf("request %q media_urls: %w", r.ID, err)
	}
	if r.Tasks, err = decodeTasks(v[22].text, &arena); err != nil {
		return nil, fmt.Errorf("request %q tasks: %w", r.ID, err)
	}
	if r.Attributes, err = decodeAttributes(v[23].text, &arena); err != nil {
		return nil, fmt.Errorf("request %q attributes: %w", r.ID, err)
	}
	return r, nil
}

// jsonValue is a JSON scalar, or a column of packedColumns: the text of a string or a
// number, or null.
type jsonValue struct {
	text string
	null bool
}

func (v jsonValue) time(t *time.Time) error {
	if v.null {
		return nil
	}
	seconds, err := strconv.ParseInt(v.text, 10, 64)
	if err != nil {
		return fmt.Errorf("time %q: %w", v.text, err)
	}
	*t = time.Unix(seconds, 0).UTC()
	return nil
}

// jsonDecoder reads the JSON that SQLite's json_array and encoding/json write. It handles
// strings, numbers, null, arrays and objects, which is all those texts contain.
type jsonDecoder struct {
	s string
	i int
	// arena, when set, receives the text of strings with escapes, so that the strings of one
	// row share one allocation. Its capacity is large enough that it does not grow.
	arena *[]byte
}

var errJSON = errors.New("malformed JSON")

func (d *jsonDecoder) skipSpace() {
	for d.i < len(d.s) && (d.s[d.i] == ' ' || d.s[d.i] == '\n' || d.s[d.i] == '\t' || d.s[d.i] == '\r') {
		d.i++
	}
}

func (d *jsonDecoder) peek() byte {
	d.skipSpace()
	if d.i >= len(d.s) {
		return 0
	}
	return d.s[d.i]
}

func (d *jsonDecoder) expect(c byte) error {
	if d.peek() != c {
		return fmt.Errorf("%w: want %q at byte %d", errJSON, c, d.i)
	}
	d.i++
	return nil
}

// scalar reads a string, a number, true, false or null.
func (d *jsonDecoder) scalar() (jsonValue, error) {
	switch c := d.peek(); {
	case c == '"':
		s, err := d.str()
		return jsonValue{text: s}, err
	case c == 'n' && strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return jsonValue{null: true}, nil
	case c == 't' && strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return jsonValue{text: "1"}, nil
	case c == 'f' && strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return jsonValue{text: "0"}, nil
	case c == '-' || c >= '0' && c <= '9':
		start := d.i
		for d.i < len(d.s) && strings.IndexByte("+-.eE0123456789", d.s[d.i]) >= 0 {
			d.i++
		}
		return jsonValue{text: d.s[start:d.i]}, nil
	}
	return jsonValue{}, fmt.Errorf("%w: want a value at byte %d", errJSON, d.i)
}

// str reads a JSON string. A string without escapes is a slice of the input.
func (d *jsonDecoder) str() (string, error) {
	if err := d.expect('"'); err != nil {
		return "", err
	}
	start := d.i
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case '"':
			s := d.s[start:d.i]
			d.i++
			return s, nil
		case '\\':
			return d.escapedStr(start)
		}
		d.i++
	}
	return "", fmt.Errorf("%w: unterminated string", errJSON)
}

func (d *jsonDecoder) escapedStr(start int) (string, error) {
	var b []byte
	if d.arena != nil {
		b = (*d.arena)[len(*d.arena):]
	}
	b = append(b, d.s[start:d.i]...)
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			if d.arena == nil || len(b) == 0 || len(*d.arena)+len(b) > cap(*d.arena) {
				return string(b), nil
			}
			// The arena's bytes up to its length are never written again, so the string may
			// share them.
			*d.arena = (*d.arena)[:len(*d.arena)+len(b)]
			return unsafe.String(&b[0], len(b)), nil
		case c != '\\':
			b = append(b, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.s) {
			break
		}
		e := d.s[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", fmt.Errorf("%w: bad \\u escape at byte %d", errJSON, d.i)
			}
			if utf16.IsSurrogate(r) && strings.HasPrefix(d.s[d.i:], `\u`) {
				d.i += 2
				low, ok := d.hex4()
				if !ok {
					return "", fmt.Errorf("%w: bad \\u escape at byte %d", errJSON, d.i)
				}
				r = utf16.DecodeRune(r, low)
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", fmt.Errorf("%w: bad escape \\%c at byte %d", errJSON, e, d.i)
		}
	}
	return "", fmt.Errorf("%w: unterminated string", errJSON)
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// each calls f for each element of the array or each member of the object that starts at
// the decoder, with the member's name for an object.
func (d *jsonDecoder) each(open, close byte, f func(name string) error) error {
	if err := d.expect(open); err != nil {
		return err
	}
	if d.peek() == close {
		d.i++
		return nil
	}
	for {
		var name string
		if open == '{' {
			var err error
			if name, err = d.str(); err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
		}
		if err := f(name); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case close:
			d.i++
			return nil
		default:
			return fmt.Errorf("%w: want ',' or %q at byte %d", errJSON, close, d.i)
		}
	}
}

// decodeStrings decodes a JSON array of strings; "" gives nil.
func decodeStrings(text string, arena *[]byte) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	d := jsonDecoder{s: text, arena: arena}
	var out []string
	err := d.each('[', ']', func(string) error {
		s, err := d.str()
		out = append(out, s)
		return err
	})
	return out, err
}

// decodeTasks decodes the tasks column, as requestValues writes it from storedTask.
func decodeTasks(text string, arena *[]byte) ([]georeport.Task, error) {
	if text == "" {
		return nil, nil
	}
	d := jsonDecoder{s: text, arena: arena}
	var out []georeport.Task
	err := d.each('[', ']', func(string) error {
		var t georeport.Task
		err := d.each('{', '}', func(name string) error {
			v, err := d.scalar()
			if err != nil {
				return err
			}
			switch name {
			case "state":
				t.State = v.text
			case "type":
				t.Type = v.text
			case "owner_name":
				t.OwnerName = v.text
			case "created":
				return v.time(&t.Created)
			case "modified":
				return v.time(&t.Modified)
			}
			return nil
		})
		out = append(out, t)
		return err
	})
	return out, err
}

// decodeAttributes decodes the attributes column, as encoding/json writes
// []georeport.AttributeValue.
func decodeAttributes(text string, arena *[]byte) ([]georeport.AttributeValue, error) {
	if text == "" {
		return nil, nil
	}
	d := jsonDecoder{s: text, arena: arena}
	var out []georeport.AttributeValue
	err := d.each('[', ']', func(string) error {
		var a georeport.AttributeValue
		err := d.each('{', '}', func(name string) error {
			switch name {
			case "Code":
				var err error
				a.Code, err = d.str()
				return err
			case "Values":
				if d.peek() == 'n' {
					_, err := d.scalar()
					return err
				}
				return d.each('[', ']', func(string) error {
					s, err := d.str()
					a.Values = append(a.Values, s)
					return err
				})
			}
			return fmt.Errorf("%w: unknown attribute field %q", errJSON, name)
		})
		out = append(out, a)
		return err
	})
	return out, err
}
