package importer

import (
	"fmt"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// checker collects the problems of one record, so that a bad record is reported with every
// reason at once.
type checker struct {
	problems []string
	loc      *time.Location
	// wrongType is the field whose JSON type the decoder rejected. The decoder's problem
	// names it already, so the field is not also reported as missing.
	wrongType string
}

func (c *checker) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// require reports a required field as missing unless its value had the wrong JSON type.
func (c *checker) require(field string, present bool) {
	if !present && field != c.wrongType {
		c.add("%s is missing", field)
	}
}

// text returns a text field after checking it for control characters and noncharacters.
func (c *checker) text(field, value string) string {
	if r, ok := controlCharacter(value); ok {
		if r == 0xFFFE || r == 0xFFFF {
			c.add("%s contains the noncharacter %U, which no text may hold", field, r)
		} else {
			c.add("%s contains the control character %U; only tab, line feed and carriage return are allowed", field, r)
		}
	}
	return value
}

// scalar returns the text of a value that the file may give as a JSON string or as a literal
// of kind other, after checking it for control characters.
func (c *checker) scalar(field string, v scalar, other jsonKind) string {
	if v.kind != kindText && v.kind != other {
		c.add("%s is a JSON %s, not a string or a %s", field, v.kind, other)
		return ""
	}
	return c.text(field, v.text)
}

// datetime parses an optional datetime and drops its fractional seconds. It returns the zero
// time for an empty value.
func (c *checker) datetime(field, value string) time.Time {
	if value == "" {
		return time.Time{}
	}
	t, ok := georeport.ParseDateTime(value, c.loc)
	if !ok {
		c.add("%s %q is not a datetime; use RFC 3339, such as 2015-03-14T08:00:00+02:00, or a date, such as 2015-03-14", field, quoteLimit(value))
		return time.Time{}
	}
	// The domain keeps datetimes to the second, as every response writes them.
	return t.Truncate(time.Second)
}

// location returns the point of a record's lat and long, or nil when both are absent.
func (c *checker) location(latValue, longValue scalar) *georeport.Point {
	problems := len(c.problems)
	lat := c.scalar("lat", latValue, kindNumber)
	long := c.scalar("long", longValue, kindNumber)
	switch {
	case len(c.problems) > problems:
		return nil
	case lat == "" && long == "":
		return nil
	case long == "":
		c.add("lat %s is given without long", quoteLimit(lat))
		return nil
	case lat == "":
		c.add("long %s is given without lat", quoteLimit(long))
		return nil
	}

	latitude, latOK := c.coordinate("lat", lat, 90)
	longitude, longOK := c.coordinate("long", long, 180)
	if !latOK || !longOK {
		return nil
	}

	// NOTE: Helsinki serves lat 0.0 and long 0.0 for feedback filed without coordinates (21
	// of its 1,380 requests, 17 of them with no address and 4 with a place name only), and
	// no city lies at that point in the Gulf of Guinea. Both exactly 0 therefore mean that
	// the location is absent. Any other point, even one near 0, 0, is kept as given.
	if latitude == 0 && longitude == 0 {
		return nil
	}
	return &georeport.Point{Lat: latitude, Long: longitude}
}

func (c *checker) coordinate(field, value string, limit float64) (float64, bool) {
	f, ok := georeport.ParseDecimal(strings.TrimSpace(value))
	if !ok {
		c.add("%s %q is not a finite decimal number", field, quoteLimit(value))
		return 0, false
	}
	if f < -limit || f > limit {
		c.add("%s %s is out of range; use a number from %g to %g", field, value, -limit, limit)
		return 0, false
	}
	return f, true
}

// request converts a raw record to a request and returns the problems that make it bad.
// wrongType is the field whose JSON type the decoder rejected, if any.
func request(raw *rawRecord, loc *time.Location, wrongType string) (*georeport.Request, []string) {
	c := &checker{loc: loc, wrongType: wrongType}
	r := &georeport.Request{
		ID:                c.scalar("service_request_id", raw.ID, kindNumber),
		ServiceCode:       c.scalar("service_code", raw.ServiceCode, kindNumber),
		ServiceName:       c.text("service_name", raw.ServiceName),
		StatusNotes:       c.text("status_notes", raw.StatusNotes),
		Description:       c.text("description", raw.Description),
		AgencyResponsible: c.text("agency_responsible", raw.AgencyResponsible),
		ServiceNotice:     c.text("service_notice", raw.ServiceNotice),
		Address:           c.text("address", raw.Address),
		AddressID:         c.scalar("address_id", raw.AddressID, kindNumber),
		Zipcode:           c.scalar("zipcode", raw.Zipcode, kindNumber),
		MediaURL:          c.text("media_url", raw.MediaURL),
		Visibility:        georeport.Public,
	}

	c.require("service_request_id", raw.ID.present())

	switch status := strings.ToLower(strings.TrimSpace(raw.Status)); status {
	case string(georeport.StatusOpen), string(georeport.StatusClosed):
		r.Status = georeport.Status(status)
	case "":
		// What the source left empty stays empty, as for every other field.
	default:
		c.add("status %q is not open or closed", quoteLimit(raw.Status))
	}

	r.Requested = c.datetime("requested_datetime", raw.Requested)
	r.Updated = c.datetime("updated_datetime", raw.Updated)
	if raw.Updated == "" {
		// A request not updated since it was filed was last updated when it was filed.
		r.Updated = r.Requested
	}
	r.Expected = c.datetime("expected_datetime", raw.Expected)

	r.Location = c.location(raw.Lat, raw.Long)

	if x := raw.Extended; x != nil {
		r.Title = c.text("extended_attributes.title", x.Title)
		r.DetailedStatus = c.text("extended_attributes.detailed_status", x.DetailedStatus)
		r.ServiceObjectID = c.text("extended_attributes.service_object_id", x.ServiceObjectID)
		r.ServiceObjectType = c.text("extended_attributes.service_object_type", x.ServiceObjectType)
		for _, u := range x.MediaURLs {
			if u != "" {
				r.MediaURLs = append(r.MediaURLs, c.text("extended_attributes.media_urls", u))
			}
		}
		r.Tasks = tasks(c, x.Tasks)
	}

	// Helsinki lists every attachment in media_urls and repeats the first as media_url: all
	// 596 media URLs of its requests agree, and this server does the same for a posted
	// media_url. A Helsinki client reads media_urls for the attachments, so a record that
	// gives only media_url (every other city's format) has it as its one media URL.
	if len(r.MediaURLs) == 0 && r.MediaURL != "" {
		r.MediaURLs = []string{r.MediaURL}
	}
	return r, c.problems
}

func tasks(c *checker, raw []rawTask) []georeport.Task {
	if len(raw) == 0 {
		return nil
	}
	out := make([]georeport.Task, len(raw))
	for i, t := range raw {
		// Most records have several tasks, so a task's field names are built only when
		// the task has a problem to report.
		probe := checker{loc: c.loc}
		out[i] = task(&probe, "", t)
		if len(probe.problems) > 0 {
			out[i] = task(c, fmt.Sprintf("extended_attributes.tasks[%d].", i), t)
		}
	}
	return out
}

// task converts one task, naming its fields with prefix in problems.
func task(c *checker, prefix string, t rawTask) georeport.Task {
	return georeport.Task{
		State:     c.text(prefix+"task_state", t.State),
		Type:      c.text(prefix+"task_type", t.Type),
		OwnerName: c.text(prefix+"owner_name", t.OwnerName),
		Created:   c.datetime(prefix+"task_created", t.Created),
		Modified:  c.datetime(prefix+"task_modified", t.Modified),
	}
}

// service converts a raw record to a service list entry and returns the problems that make
// it bad. wrongType is the field whose JSON type the decoder rejected, if any.
func service(raw *rawRecord, wrongType string) (*Service, []string) {
	c := &checker{wrongType: wrongType}
	s := &Service{
		Code:        c.scalar("service_code", raw.ServiceCode, kindNumber),
		Name:        c.text("service_name", raw.ServiceName),
		Description: c.text("description", raw.Description),
		Keywords:    c.text("keywords", raw.Keywords),
		Group:       c.text("group", raw.Group),
	}

	c.require("service_code", raw.ServiceCode.present())
	c.require("service_name", s.Name != "")

	switch t := strings.ToLower(strings.TrimSpace(raw.Type)); t {
	case "", georeport.TypeRealtime, georeport.TypeBatch, georeport.TypeBlackbox:
		s.Type = t
	default:
		c.add("type %q is not realtime, batch or blackbox", quoteLimit(raw.Type))
	}

	metadata := c.scalar("metadata", raw.Metadata, kindBoolean)
	switch strings.ToLower(strings.TrimSpace(metadata)) {
	case "", "false":
	case "true":
		s.Metadata = true
	default:
		c.add("metadata %q is not true or false", quoteLimit(metadata))
	}
	return s, c.problems
}

// controlCharacter returns the first character of s that the domain rejects in text: a C0
// control other than tab, line feed and carriage return, DEL, a C1 control, U+FFFE or U+FFFF.
// It reads bytes, not runes, and looks each up in textBytes, because it runs on every field
// of every record.
func controlCharacter(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		switch textBytes[s[i]] {
		case byteText:
		case byteControl:
			return rune(s[i]), true
		case byteC2:
			// U+0080 to U+009F are encoded as C2 80 to C2 9F.
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
				return rune(s[i+1]), true
			}
		case byteEF:
			if i+2 < len(s) && s[i+1] == 0xbf && (s[i+2] == 0xbe || s[i+2] == 0xbf) {
				return 0xfff0 | rune(s[i+2]&0x0f), true
			}
		}
	}
	return 0, false
}

// Classes of the bytes of UTF-8 text for controlCharacter.
const (
	byteText    = iota // a byte that is fine by itself
	byteControl        // a C0 control other than tab, line feed and carriage return, or DEL
	byteC2             // the first byte of U+0080 to U+00BF, C1 controls among them
	byteEF             // the first byte of U+F000 to U+FFFF, U+FFFE and U+FFFF among them
)

var textBytes = func() (classes [256]byte) {
	for c := range 0x20 {
		if c != '\t' && c != '\n' && c != '\r' {
			classes[c] = byteControl
		}
	}
	classes[0x7f] = byteControl
	classes[0xc2] = byteC2
	classes[0xef] = byteEF
	return classes
}()

// quoteLimit shortens a value for an error message to its first 60 bytes.
func quoteLimit(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
