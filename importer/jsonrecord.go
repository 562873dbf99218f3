package importer

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeRecord decodes the JSON object data into r without reflection, for the common case
// of an import. It gives the same result as encoding/json's Unmarshal, and it returns false,
// leaving r partly filled, for any object that it cannot decode that way. Such an object
// has broken syntax or a field value of another JSON type than the field takes. Other
// objects it declines have a repeated field, a key that is escaped or that matches a field
// only when case is ignored, or a string that is not valid UTF-8. The caller then decodes
// the object with encoding/json, which reports the problem or applies its rules.
//
// The decoded strings share the memory of one new string.
//
// A string with a lone surrogate escape, such as \ud83d without its other half, gets U+FFFD
// in its place as with encoding/json. Because the text is then not the file's, decodeRecord
// also returns a problem that names the field, which makes the record a bad one.
func decodeRecord(data []byte, r *rawRecord) (problem, field string, ok bool) {
	d := recordDecoder{data: data, text: string(data)}
	var seen uint32
	d.skipSpace()
	ok = d.object(func(key []byte) bool {
		d.place = fieldPlace{key: key}
		return d.recordField(r, &seen, key)
	})
	d.skipSpace()
	if !ok || d.pos != len(data) {
		return "", "", false
	}
	r.compact()
	return d.problem, d.problemField, true
}

// compact copies the strings of r into one new string of their total length. Before, they
// are parts of the copy of the whole element. The import keeps batches of thousands of
// records, which would otherwise keep the keys, white space and unknown fields too.
func (r *rawRecord) compact() {
	total := 0
	r.eachString(func(s *string) { total += len(*s) })
	var b strings.Builder
	b.Grow(total)
	r.eachString(func(s *string) { b.WriteString(*s) })
	all := b.String()
	r.eachString(func(s *string) {
		n := len(*s)
		*s, all = all[:n], all[n:]
	})
}

// eachString calls visit with every string of r. TestEachStringVisitsAll checks that it
// covers every string field.
func (r *rawRecord) eachString(visit func(*string)) {
	for _, s := range []*scalar{&r.ID, &r.ServiceCode, &r.AddressID, &r.Zipcode, &r.Lat, &r.Long, &r.Metadata, &r.Code} {
		visit(&s.text)
	}
	for _, s := range []*string{&r.Status, &r.StatusNotes, &r.ServiceName, &r.Description,
		&r.AgencyResponsible, &r.ServiceNotice, &r.Requested, &r.Updated, &r.Expected, &r.Address,
		&r.MediaURL, &r.Type, &r.Keywords, &r.Group} {
		visit(s)
	}
	x := r.Extended
	if x == nil {
		return
	}
	for _, s := range []*string{&x.Title, &x.DetailedStatus, &x.ServiceObjectID, &x.ServiceObjectType} {
		visit(s)
	}
	for i := range x.MediaURLs {
		visit(&x.MediaURLs[i])
	}
	for i := range x.Tasks {
		t := &x.Tasks[i]
		for _, s := range []*string{&t.State, &t.Type, &t.OwnerName, &t.Created, &t.Modified} {
			visit(s)
		}
	}
}

// The keys of rawRecord, rawExtended and rawTask, in the order of the bits that mark a key
// as seen. TestDecoderKeysMatchTags checks them against the struct tags.
var (
	recordKeys = []string{
		"service_request_id", "status", "status_notes", "service_name", "service_code",
		"description", "agency_responsible", "service_notice", "requested_datetime",
		"updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
		"long", "media_url", "extended_attributes", "metadata", "type", "keywords", "group", "code",
	}
	extendedKeys = []string{"title", "detailed_status", "media_urls", "service_object_id", "service_object_type", "tasks"}
	taskKeys     = []string{"task_state", "task_type", "owner_name", "task_created", "task_modified"}
)

// recordDecoder reads one JSON object from data. The strings it decodes are parts of text,
// a copy of data, until compact copies them out.
type recordDecoder struct {
	data  []byte
	text  string
	pos   int
	depth int // objects and lists open at pos

	// place is the field whose value is read, and skipping counts the values of unknown
	// fields being skipped, which nothing keeps.
	place    fieldPlace
	skipping int
	// problem describes the first lone surrogate escape in a kept string, and problemField
	// names the field of that string.
	problem, problemField string
}

// fieldPlace is the position of a value in a record: the key of a top-level field, of a
// field of extended_attributes or of a task, and the index in media_urls or tasks.
type fieldPlace struct {
	key      []byte
	extended bool // key is a field of extended_attributes
	task     bool // key is a field of task index
	index    int
}

// name returns the field's name as problems write it, such as
// extended_attributes.tasks[1].owner_name.
func (p fieldPlace) name() string {
	switch {
	case p.task:
		return fmt.Sprintf("extended_attributes.tasks[%d].%s", p.index, p.key)
	case p.extended && string(p.key) == "media_urls":
		return fmt.Sprintf("extended_attributes.media_urls[%d]", p.index)
	case p.extended:
		return "extended_attributes." + string(p.key)
	}
	return string(p.key)
}

// maxDepth bounds the nesting of objects and lists that decodeRecord reads. encoding/json
// rejects values nested over 10,000 deep, and no record comes near either bound.
const maxDepth = 100

// recordField decodes the value of the top-level key into r.
func (d *recordDecoder) recordField(r *rawRecord, seen *uint32, key []byte) bool {
	var bit uint32
	var ok bool
	switch string(key) {
	case "service_request_id":
		bit, ok = 1<<0, d.scalar(&r.ID)
	case "status":
		bit, ok = 1<<1, d.string(&r.Status)
	case "status_notes":
		bit, ok = 1<<2, d.string(&r.StatusNotes)
	case "service_name":
		bit, ok = 1<<3, d.string(&r.ServiceName)
	case "service_code":
		bit, ok = 1<<4, d.scalar(&r.ServiceCode)
	case "description":
		bit, ok = 1<<5, d.string(&r.Description)
	case "agency_responsible":
		bit, ok = 1<<6, d.string(&r.AgencyResponsible)
	case "service_notice":
		bit, ok = 1<<7, d.string(&r.ServiceNotice)
	case "requested_datetime":
		bit, ok = 1<<8, d.string(&r.Requested)
	case "updated_datetime":
		bit, ok = 1<<9, d.string(&r.Updated)
	case "expected_datetime":
		bit, ok = 1<<10, d.string(&r.Expected)
	case "address":
		bit, ok = 1<<11, d.string(&r.Address)
	case "address_id":
		bit, ok = 1<<12, d.scalar(&r.AddressID)
	case "zipcode":
		bit, ok = 1<<13, d.scalar(&r.Zipcode)
	case "lat":
		bit, ok = 1<<14, d.scalar(&r.Lat)
	case "long":
		bit, ok = 1<<15, d.scalar(&r.Long)
	case "media_url":
		bit, ok = 1<<16, d.string(&r.MediaURL)
	case "extended_attributes":
		bit, ok = 1<<17, d.extended(&r.Extended)
	case "metadata":
		bit, ok = 1<<18, d.scalar(&r.Metadata)
	case "type":
		bit, ok = 1<<19, d.string(&r.Type)
	case "keywords":
		bit, ok = 1<<20, d.string(&r.Keywords)
	case "group":
		bit, ok = 1<<21, d.string(&r.Group)
	case "code":
		bit, ok = 1<<22, d.scalar(&r.Code)
	default:
		return d.skipUnknown(key, recordKeys)
	}
	return d.markSeen(seen, bit) && ok
}

// markSeen records a key's bit and returns false when the key came before. encoding/json
// decodes a repeated key again into the same field, which for an object merges the two.
func (d *recordDecoder) markSeen(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// extended decodes extended_attributes: null sets no object, as encoding/json does for a
// pointer.
func (d *recordDecoder) extended(dst **rawExtended) bool {
	if d.null() {
		*dst = nil
		return true
	}
	x := &rawExtended{}
	*dst = x
	var seen uint32
	return d.object(func(key []byte) bool {
		d.place = fieldPlace{key: key, extended: true}
		var bit uint32
		var ok bool
		switch string(key) {
		case "title":
			bit, ok = 1<<0, d.string(&x.Title)
		case "detailed_status":
			bit, ok = 1<<1, d.string(&x.DetailedStatus)
		case "media_urls":
			bit, ok = 1<<2, d.stringList(&x.MediaURLs)
		case "service_object_id":
			bit, ok = 1<<3, d.string(&x.ServiceObjectID)
		case "service_object_type":
			bit, ok = 1<<4, d.string(&x.ServiceObjectType)
		case "tasks":
			bit, ok = 1<<5, d.tasks(&x.Tasks)
		default:
			return d.skipUnknown(key, extendedKeys)
		}
		return d.markSeen(&seen, bit) && ok
	})
}

// tasks decodes the tasks list. As encoding/json does, null sets a nil slice, [] an empty
// one, and a null element an empty task.
func (d *recordDecoder) tasks(dst *[]rawTask) bool {
	if d.null() {
		*dst = nil
		return true
	}
	list := []rawTask{}
	ok := d.list(func() bool {
		list = append(list, rawTask{})
		if d.null() {
			return true
		}
		index := len(list) - 1
		t := &list[index]
		var seen uint32
		return d.object(func(key []byte) bool {
			d.place = fieldPlace{key: key, task: true, index: index}
			var bit uint32
			var ok bool
			switch string(key) {
			case "task_state":
				bit, ok = 1<<0, d.string(&t.State)
			case "task_type":
				bit, ok = 1<<1, d.string(&t.Type)
			case "owner_name":
				bit, ok = 1<<2, d.string(&t.OwnerName)
			case "task_created":
				bit, ok = 1<<3, d.string(&t.Created)
			case "task_modified":
				bit, ok = 1<<4, d.string(&t.Modified)
			default:
				return d.skipUnknown(key, taskKeys)
			}
			return d.markSeen(&seen, bit) && ok
		})
	})
	*dst = list
	return ok
}

// stringList decodes a list of strings, where null elements are empty strings.
func (d *recordDecoder) stringList(dst *[]string) bool {
	if d.null() {
		*dst = nil
		return true
	}
	list := []string{}
	ok := d.list(func() bool {
		list = append(list, "")
		d.place.index = len(list) - 1
		return d.string(&list[len(list)-1])
	})
	*dst = list
	return ok
}

// object reads an object and calls field for each key, with the position at the key's
// value. field reads the value and returns false to stop the decoding.
func (d *recordDecoder) object(field func(key []byte) bool) bool {
	if !d.consume('{') || !d.enter() {
		return false
	}
	defer d.leave()
	d.skipSpace()
	if d.consume('}') {
		return true
	}
	for {
		key, ok := d.key()
		if !ok {
			return false
		}
		d.skipSpace()
		if !d.consume(':') {
			return false
		}
		d.skipSpace()
		if !field(key) {
			return false
		}
		d.skipSpace()
		switch {
		case d.consume(','):
			d.skipSpace()
		case d.consume('}'):
			return true
		default:
			return false
		}
	}
}

// list reads a list and calls element for each element, with the position at its start.
func (d *recordDecoder) list(element func() bool) bool {
	if !d.consume('[') || !d.enter() {
		return false
	}
	defer d.leave()
	d.skipSpace()
	if d.consume(']') {
		return true
	}
	for {
		if !element() {
			return false
		}
		d.skipSpace()
		switch {
		case d.consume(','):
			d.skipSpace()
		case d.consume(']'):
			return true
		default:
			return false
		}
	}
}

// enter counts an object or list that opens, and returns false when it is nested too deep.
func (d *recordDecoder) enter() bool {
	d.depth++
	return d.depth <= maxDepth
}

func (d *recordDecoder) leave() { d.depth-- }

// key reads an object key. It returns false for an escaped key, which encoding/json unescapes
// before it matches the key to a field.
func (d *recordDecoder) key() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.pos
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			return d.data[start : d.pos-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		d.pos++
	}
	return nil, false
}

// skipUnknown skips the value of a key that names no field. It returns false when
// encoding/json would match the key to a field: a key that equals a field's name with case
// ignored, or one with non-ASCII letters, which encoding/json folds by Unicode rules (the
// Kelvin sign matches k).
func (d *recordDecoder) skipUnknown(key []byte, names []string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, name := range names {
		if len(name) == len(key) && bytes.EqualFold(key, []byte(name)) {
			return false
		}
	}
	return d.skipValue()
}

// string decodes a JSON string into dst. null leaves dst as it is, as encoding/json does.
func (d *recordDecoder) string(dst *string) bool {
	if d.null() {
		return true
	}
	s, ok := d.quoted()
	*dst = s
	return ok
}

// scalar decodes any JSON value into dst as scalar.UnmarshalJSON does.
func (d *recordDecoder) scalar(dst *scalar) bool {
	if d.pos == len(d.data) {
		return false
	}
	start := d.pos
	switch c := d.data[d.pos]; {
	case c == '"':
		s, ok := d.quoted()
		*dst = scalar{text: s}
		return ok
	case c == '{':
		*dst = scalar{kind: kindObject}
		return d.skipValue()
	case c == '[':
		*dst = scalar{kind: kindList}
		return d.skipValue()
	case c == 'n':
		*dst = scalar{}
		return d.literal("null")
	case c == 't':
		*dst = scalar{text: "true", kind: kindBoolean}
		return d.literal("true")
	case c == 'f':
		*dst = scalar{text: "false", kind: kindBoolean}
		return d.literal("false")
	}
	if !d.number() {
		return false
	}
	*dst = scalar{text: d.text[start:d.pos], kind: kindNumber}
	return true
}

// quoted reads a JSON string.
func (d *recordDecoder) quoted() (string, bool) {
	if !d.consume('"') {
		return "", false
	}
	start := d.pos
	for d.pos < len(d.data) && !stringStops[d.data[d.pos]] {
		d.pos++
	}
	switch {
	case d.pos == len(d.data) || d.data[d.pos] < 0x20:
		return "", false
	case d.data[d.pos] == '\\':
		return d.unescape(start)
	}
	d.pos++
	s := d.text[start : d.pos-1]
	return s, utf8.ValidString(s)
}

// stringStops marks the bytes that end the plain part of a JSON string: the closing quote, a
// backslash and the control characters, which JSON allows only escaped.
var stringStops = func() (stops [256]bool) {
	for c := range 0x20 {
		stops[c] = true
	}
	stops['"'] = true
	stops['\\'] = true
	return stops
}()

// unescape reads the rest of a string from its first backslash, and returns the whole string
// from start with its escapes replaced.
func (d *recordDecoder) unescape(start int) (string, bool) {
	out := make([]byte, 0, d.pos-start+32)
	out = append(out, d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		plain := d.pos
		for d.pos < len(d.data) && !stringStops[d.data[d.pos]] {
			d.pos++
		}
		out = append(out, d.data[plain:d.pos]...)
		if d.pos == len(d.data) {
			return "", false
		}
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			if !utf8.Valid(d.data[start : d.pos-1]) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		}

		d.pos++
		if d.pos == len(d.data) {
			return "", false
		}
		esc := d.data[d.pos]
		d.pos++
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				r = d.lowSurrogate(r)
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

// lowSurrogate reads the escape of the low surrogate that follows the surrogate first, and
// returns the character of the pair. When no such escape follows, it returns U+FFFD and
// reads nothing, as encoding/json does, and records the problem of a kept string.
func (d *recordDecoder) lowSurrogate(first rune) rune {
	start := d.pos
	if d.consume('\\') && d.consume('u') {
		if low, ok := d.hex4(); ok {
			if r := utf16.DecodeRune(first, low); r != utf8.RuneError {
				return r
			}
		}
	}
	d.pos = start
	if d.skipping == 0 && d.problem == "" {
		d.problemField = d.place.name()
		d.problem = loneSurrogateMessage(d.problemField, d.data[start-6:start])
	}
	return utf8.RuneError
}

// hex4 reads the four hexadecimal digits of a \u escape.
func (d *recordDecoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	r, ok := parseHex4(d.data[d.pos : d.pos+4])
	if ok {
		d.pos += 4
	}
	return r, ok
}

// parseHex4 returns the number that the four hexadecimal digits of digits write.
func parseHex4(digits []byte) (rune, bool) {
	var r rune
	for _, c := range digits {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a JSON number: an optional minus, an integer part without leading zeros, and
// optional fraction and exponent parts.
func (d *recordDecoder) number() bool {
	d.consume('-')
	switch {
	case d.consume('0'):
	case d.digits() == 0:
		return false
	}
	if d.consume('.') && d.digits() == 0 {
		return false
	}
	if d.consume('e') || d.consume('E') {
		if !d.consume('+') {
			d.consume('-')
		}
		if d.digits() == 0 {
			return false
		}
	}
	return true
}

// digits reads decimal digits and returns how many it read.
func (d *recordDecoder) digits() int {
	start := d.pos
	for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos - start
}

// skipValue reads any JSON value, checking its syntax, and discards it.
func (d *recordDecoder) skipValue() bool {
	d.skipping++
	defer func() { d.skipping-- }()
	if d.pos == len(d.data) {
		return false
	}
	switch d.data[d.pos] {
	case '{':
		return d.object(func([]byte) bool { return d.skipValue() })
	case '[':
		return d.list(d.skipValue)
	case '"':
		_, ok := d.quoted()
		return ok
	case 'n':
		return d.literal("null")
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	}
	return d.number()
}

// null reads null if it comes next.
func (d *recordDecoder) null() bool {
	if len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// literal reads the word, which must come next.
func (d *recordDecoder) literal(word string) bool {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return false
	}
	d.pos += len(word)
	return true
}

// consume reads the byte c if it comes next.
func (d *recordDecoder) consume(c byte) bool {
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *recordDecoder) skipSpace() {
	for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
		d.pos++
	}
}
