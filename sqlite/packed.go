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

	"github.com/open311-to-go/open311/georeport"
)

// packedColumns reads a request as three values: lat, long and a JSON array of every other
// column of requestColumns, in its order. The driver locks the connection for each column it
// reads, which made reading 33 columns the main cost of a list, so SQLite packs them. Lat
// and long stay apart because SQLite writes a REAL in JSON with 15 digits, which does not
// always give back the same float64.
const packedColumns = `lat, long, json_array(service_request_id, jurisdiction, token, service_code,
	service_name, status, status_notes, description, agency_responsible, service_notice,
	requested_at, updated_at, expected_at, address, address_id, zipcode,
	media_url, title, detailed_status, media_urls, service_object_id, service_object_type,
	tasks, attributes, hidden, email, first_name, last_name, phone, device_id, account_id)`

// packedFields is the number of values in the JSON array of packedColumns.
const packedFields = 31

// scanPacked reads the packedColumns of one row, followed by extra destinations.
func scanPacked(row scanner, extra ...any) (*georeport.Request, error) {
	var lat, long sql.NullFloat64
	var packed string
	if err := row.Scan(append([]any{&lat, &long, &packed}, extra...)...); err != nil {
		return nil, err
	}
	r, err := unpackRequest(packed)
	if err != nil {
		return nil, err
	}
	if lat.Valid && long.Valid {
		r.Location = &georeport.Point{Lat: lat.Float64, Long: long.Float64}
	}
	return r, nil
}

// unpackRequest decodes the JSON array of packedColumns.
func unpackRequest(packed string) (*georeport.Request, error) {
	d := jsonDecoder{s: packed}
	var v [packedFields]jsonValue
	if err := d.expect('['); err != nil {
		return nil, err
	}
	for i := range v {
		if i > 0 {
			if err := d.expect(','); err != nil {
				return nil, err
			}
		}
		var err error
		if v[i], err = d.scalar(); err != nil {
			return nil, fmt.Errorf("packed column %d: %w", i+1, err)
		}
	}
	if err := d.expect(']'); err != nil {
		return nil, err
	}

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
	times := []*time.Time{&r.Requested, &r.Updated, &r.Expected}
	for i, t := range times {
		if err := v[10+i].time(t); err != nil {
			return nil, fmt.Errorf("request %q: %w", r.ID, err)
		}
	}
	if v[24].text == "1" {
		r.Visibility = georeport.Hidden
	}
	var err error
	if r.MediaURLs, err = decodeStrings(v[19].text); err != nil {
		return nil, fmt.Errorf("request %q media_urls: %w", r.ID, err)
	}
	if r.Tasks, err = decodeTasks(v[22].text); err != nil {
		return nil, fmt.Errorf("request %q tasks: %w", r.ID, err)
	}
	if r.Attributes, err = decodeAttributes(v[23].text); err != nil {
		return nil, fmt.Errorf("request %q attributes: %w", r.ID, err)
	}
	return r, nil
}

// jsonValue is a JSON scalar: the text of a string or a number, or null.
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
	b := []byte(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b), nil
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
func decodeStrings(text string) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	d := jsonDecoder{s: text}
	var out []string
	err := d.each('[', ']', func(string) error {
		s, err := d.str()
		out = append(out, s)
		return err
	})
	return out, err
}

// decodeTasks decodes the tasks column, as requestValues writes it from storedTask.
func decodeTasks(text string) ([]georeport.Task, error) {
	if text == "" {
		return nil, nil
	}
	d := jsonDecoder{s: text}
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
func decodeAttributes(text string) ([]georeport.AttributeValue, error) {
	if text == "" {
		return nil, nil
	}
	d := jsonDecoder{s: text}
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
