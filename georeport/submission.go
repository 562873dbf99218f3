package georeport

import (
	"math"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/open311-to-go/open311/locale"
)

// Length limits of POST fields, in Unicode code points.
const (
	MaxTitleLength         = 120
	DerivedTitleLength     = 60
	MaxAddressLength       = 500
	MaxShortFieldLength    = 100 // address_id, service objects, names, device and account ids
	MaxEmailLength         = 254
	MaxPhoneLength         = 50
	MaxMediaURLLength      = 2048
	MaxAttributeTextLength = 4000
	MaxAttributeValues     = 100
)

// Submission is a new service request as a POST sends it: every field as text, with empty
// values already removed, because the standard treats an empty field as absent.
type Submission struct {
	Jurisdiction      string
	ServiceCode       string
	Lat               string
	Long              string
	AddressString     string
	AddressID         string
	ServiceObjectID   string
	ServiceObjectType string
	Description       string
	Title             string
	MediaURL          string
	Reporter          Reporter
	// Attributes maps an attribute code to the values sent as attribute[CODE] or
	// attribute[CODE][], in the order sent.
	Attributes map[string][]string
	// MisnamedLongitude is "lon" or "lng" when the client sent one of them without long.
	MisnamedLongitude string
	// Conflicting names the single-value fields that the client sent more than once with
	// different values, which Build rejects instead of keeping one of them.
	Conflicting []string
}

// Build checks the submission against the service's definition and returns the request to
// store, without id, token or times, which the caller assigns. The error lists every problem
// found, as an *Error of kind Invalid or NotFound.
func (s *Submission) Build(c *Catalog, jurisdiction string) (*Request, error) {
	var ps Problems
	s.checkText(&ps)
	for _, name := range s.Conflicting {
		ps.Add(Invalid, locale.MsgConflictingValues, name)
	}

	var service *Service
	if s.ServiceCode == "" {
		ps.Add(Invalid, locale.MsgRequired, "service_code")
	} else if service = c.Service(jurisdiction, s.ServiceCode); service == nil {
		ps.Add(NotFound, locale.MsgServiceNotFound, s.ServiceCode)
	}

	r := &Request{
		Jurisdiction:      jurisdiction,
		ServiceCode:       s.ServiceCode,
		Status:            StatusOpen,
		Description:       s.Description,
		Address:           s.AddressString,
		AddressID:         s.AddressID,
		MediaURL:          s.MediaURL,
		Title:             s.Title,
		DetailedStatus:    DetailedReceived,
		ServiceObjectID:   s.ServiceObjectID,
		ServiceObjectType: s.ServiceObjectType,
		Reporter:          s.Reporter,
		Visibility:        Public,
	}
	if s.MediaURL != "" {
		r.MediaURLs = []string{s.MediaURL}
	}
	r.Location = s.checkLocation(&ps, service)
	s.checkLengths(&ps, service)
	s.checkContact(&ps)
	if service != nil {
		r.Attributes = s.checkAttributes(&ps, service)
		// The name in the default language stays with the request, for when a later catalog
		// no longer has the service.
		r.ServiceName = service.Name.In(c.DefaultLocale, c.DefaultLocale)
		r.AgencyResponsible = service.AgencyResponsible
		if j := c.JurisdictionByID(service.Jurisdiction); j != nil && j.Moderation == ModerationPre {
			r.Visibility = Hidden
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	if r.Title == "" {
		r.Title = DeriveTitle(r.Description)
	}
	return r, nil
}

// Stamp sets a built request's times from now: requested and updated to now, and expected to
// the service's target in calendar days of loc, when the catalog gives one.
func (r *Request) Stamp(service *Service, now time.Time, loc *time.Location) {
	now = now.Truncate(time.Second)
	r.Requested, r.Updated = now, now
	if service != nil && service.ExpectedDays > 0 {
		r.Expected = now.In(loc).AddDate(0, 0, service.ExpectedDays)
	}
}

// checkText rejects text that is not valid UTF-8 or contains control characters other than tab,
// line feed and carriage return, which no format can carry faithfully.
func (s *Submission) checkText(ps *Problems) {
	fields := []struct{ name, value string }{
		{"jurisdiction_id", s.Jurisdiction}, {"service_code", s.ServiceCode}, {"lat", s.Lat}, {"long", s.Long},
		{"address_string", s.AddressString}, {"address_id", s.AddressID},
		{"service_object_id", s.ServiceObjectID}, {"service_object_type", s.ServiceObjectType},
		{"description", s.Description}, {"title", s.Title}, {"media_url", s.MediaURL},
		{"email", s.Reporter.Email}, {"first_name", s.Reporter.FirstName}, {"last_name", s.Reporter.LastName},
		{"phone", s.Reporter.Phone}, {"device_id", s.Reporter.DeviceID}, {"account_id", s.Reporter.AccountID},
	}
	for _, f := range fields {
		checkTextValue(ps, f.name, f.value)
	}
	for code, values := range s.Attributes {
		for _, v := range values {
			checkTextValue(ps, "attribute["+code+"]", v)
		}
	}
}

func checkTextValue(ps *Problems, name, value string) {
	if !utf8.ValidString(value) {
		ps.Add(Invalid, locale.MsgInvalidUTF8, name)
		return
	}
	for _, r := range value {
		switch {
		case r == 0xFFFE || r == 0xFFFF:
			ps.Add(Invalid, locale.MsgNoncharacter, name, r)
			return
		case r != '\t' && r != '\n' && r != '\r' && unicode.IsControl(r):
			ps.Add(Invalid, locale.MsgControlCharacter, name, r)
			return
		}
	}
}

func (s *Submission) checkLocation(ps *Problems, service *Service) *Point {
	var point *Point
	lat, latOK := parseCoordinate(ps, "lat", s.Lat, 90)
	long, longOK := parseCoordinate(ps, "long", s.Long, 180)
	switch {
	case s.MisnamedLongitude != "":
		ps.Add(Invalid, locale.MsgLongitudeName, s.MisnamedLongitude)
	case s.Lat != "" && s.Long == "":
		ps.Add(Invalid, locale.MsgNeedsPartner, "lat", "long")
	case s.Long != "" && s.Lat == "":
		ps.Add(Invalid, locale.MsgNeedsPartner, "long", "lat")
	case latOK && longOK:
		point = &Point{Lat: lat, Long: long}
	}

	hasObject := s.ServiceObjectID != "" && s.ServiceObjectType != ""
	switch {
	case s.ServiceObjectID != "" && s.ServiceObjectType == "":
		ps.Add(Invalid, locale.MsgNeedsPartner, "service_object_id", "service_object_type")
	case s.ServiceObjectType != "" && s.ServiceObjectID == "":
		ps.Add(Invalid, locale.MsgNeedsPartner, "service_object_type", "service_object_id")
	}
	if service == nil {
		return point
	}
	sentCoordinates := s.Lat != "" || s.Long != "" || s.MisnamedLongitude != ""
	switch service.Location {
	case LocationCoordinates:
		if !sentCoordinates {
			ps.Add(Invalid, locale.MsgCoordinatesRequired, service.Code)
		}
	case LocationAny:
		if !sentCoordinates && s.AddressString == "" && s.AddressID == "" && !hasObject &&
			s.ServiceObjectID == "" && s.ServiceObjectType == "" {
			ps.Add(Invalid, locale.MsgLocationRequired)
		}
	}
	return point
}

// ParseDecimal parses a plain decimal number and reports whether it is one and finite. A
// plain decimal has an optional sign, digits with an optional decimal point, and an optional
// exponent, as in -60.17, 24., .5 or 1e-3. It leaves out what strconv.ParseFloat also reads
// but clients do not mean: hexadecimal, underscores, Inf and NaN.
func ParseDecimal(s string) (float64, bool) {
	if len(s) > 64 || !isPlainDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// isPlainDecimal reports whether s matches ^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$. The
// expression is written out because it runs on both coordinates of every imported record,
// where the regexp package took about 5% of the CPU time of reading a JSON file.
func isPlainDecimal(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}

	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	whole := digits()
	fraction := 0
	if i < len(s) && s[i] == '.' {
		i++
		fraction = digits()
	}
	if whole == 0 && fraction == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

func parseCoordinate(ps *Problems, name, value string, limit float64) (float64, bool) {
	if value == "" {
		return 0, false
	}
	f, ok := ParseDecimal(value)
	if !ok {
		ps.Add(Invalid, locale.MsgInvalidNumber, name, value)
		return 0, false
	}
	if f < -limit || f > limit {
		ps.Add(Invalid, locale.MsgOutOfRange, name, value, -limit, limit)
		return 0, false
	}
	return f, true
}

func (s *Submission) checkLengths(ps *Problems, service *Service) {
	maxLength := func(name, value string, max int) {
		if n := utf8.RuneCountInString(value); n > max {
			ps.Add(Invalid, locale.MsgTooLong, name, n, max)
		}
	}
	if service != nil {
		min, max := service.DescriptionLimits()
		n := utf8.RuneCountInString(s.Description)
		switch {
		case n == 0 && min > 1:
			ps.Add(Invalid, locale.MsgRequiredLength, "description", min)
		case n == 0 && min == 1:
			ps.Add(Invalid, locale.MsgRequired, "description")
		case n < min:
			ps.Add(Invalid, locale.MsgTooShort, "description", n, min)
		case n > max:
			ps.Add(Invalid, locale.MsgTooLong, "description", n, max)
		}
	} else {
		maxLength("description", s.Description, DefaultDescriptionMax)
	}
	maxLength("title", s.Title, MaxTitleLength)
	maxLength("address_string", s.AddressString, MaxAddressLength)
	maxLength("address_id", s.AddressID, MaxShortFieldLength)
	maxLength("service_object_id", s.ServiceObjectID, MaxShortFieldLength)
	maxLength("service_object_type", s.ServiceObjectType, MaxShortFieldLength)
	maxLength("first_name", s.Reporter.FirstName, MaxShortFieldLength)
	maxLength("last_name", s.Reporter.LastName, MaxShortFieldLength)
	maxLength("device_id", s.Reporter.DeviceID, MaxShortFieldLength)
	maxLength("account_id", s.Reporter.AccountID, MaxShortFieldLength)
	maxLength("phone", s.Reporter.Phone, MaxPhoneLength)
	maxLength("email", s.Reporter.Email, MaxEmailLength)
	maxLength("media_url", s.MediaURL, MaxMediaURLLength)
}

func (s *Submission) checkContact(ps *Problems) {
	if s.Reporter.Email != "" && !validEmail(s.Reporter.Email) {
		ps.Add(Invalid, locale.MsgInvalidEmail, Personal(s.Reporter.Email))
	}
	if s.MediaURL != "" && !ValidHTTPURL(s.MediaURL) {
		ps.Add(Invalid, locale.MsgInvalidURL, "media_url", s.MediaURL)
	}
}

// validEmail reports whether s is a bare address such as name@example.org, without a display
// name or angle brackets.
func validEmail(s string) bool {
	address, err := mail.ParseAddress(s)
	if err != nil || address.Address != s || address.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n")
}

// ValidHTTPURL reports whether s is an absolute http or https URL with a host.
func ValidHTTPURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == ""
}

// checkAttributes validates the values sent for the service's attributes and returns them in
// the definition's order. Values for codes the service does not define are ignored.
func (s *Submission) checkAttributes(ps *Problems, service *Service) []AttributeValue {
	var out []AttributeValue
	for i := range service.Attributes {
		a := &service.Attributes[i]
		if !a.Variable {
			continue // an informational attribute takes no input
		}
		values := nonEmpty(s.Attributes[a.Code])
		if len(values) == 0 {
			if a.Required {
				ps.Add(Invalid, locale.MsgAttributeRequired, a.Code, a.Description)
			}
			continue
		}
		name := "attribute[" + a.Code + "]"
		if len(values) > 1 && a.Datatype != DatatypeMultiValueList {
			ps.Add(Invalid, locale.MsgSingleValue, a.Code)
			continue
		}
		if len(values) > MaxAttributeValues {
			ps.Add(Invalid, locale.MsgTooManyValues, name, len(values), MaxAttributeValues)
			continue
		}
		ok := true
		for _, v := range values {
			ok = checkAttributeValue(ps, a, name, v) && ok
		}
		if ok {
			out = append(out, AttributeValue{Code: a.Code, Values: unique(values)})
		}
	}
	return out
}

func checkAttributeValue(ps *Problems, a *Attribute, name, v string) bool {
	switch a.Datatype {
	case DatatypeNumber:
		if _, ok := ParseNumber(v); !ok {
			ps.Add(Invalid, locale.MsgInvalidNumber, name, v)
			return false
		}
	case DatatypeDatetime:
		if _, ok := ParseDateTime(v, time.UTC); !ok {
			ps.Add(Invalid, locale.MsgInvalidDateTime, name, v)
			return false
		}
	case DatatypeSingleValueList, DatatypeMultiValueList:
		if !a.HasKey(v) {
			ps.Add(Invalid, locale.MsgInvalidListValue, a.Code, v, a.Keys())
			return false
		}
	case DatatypeString:
		if n := utf8.RuneCountInString(v); n > MaxShortFieldLength*10 {
			ps.Add(Invalid, locale.MsgTooLong, name, n, MaxShortFieldLength*10)
			return false
		}
	case DatatypeText:
		if n := utf8.RuneCountInString(v); n > MaxAttributeTextLength {
			ps.Add(Invalid, locale.MsgTooLong, name, n, MaxAttributeTextLength)
			return false
		}
	}
	return true
}

// ParseNumber parses a number attribute: a finite decimal number, where one decimal comma
// ("12,5") is read as a point. Thousands separators are not accepted.
func ParseNumber(s string) (float64, bool) {
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	return ParseDecimal(s)
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func unique(values []string) []string {
	out := values[:0:0]
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// DeriveTitle returns a title from the first words of a description: its first line, cut at
// a word boundary to at most DerivedTitleLength characters, with an ellipsis when cut.
func DeriveTitle(description string) string {
	line := strings.TrimSpace(description)
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	if utf8.RuneCountInString(line) <= DerivedTitleLength {
		return line
	}
	runes := []rune(line)[:DerivedTitleLength]
	cut := len(runes)
	for i := len(runes) - 1; i > 0; i-- {
		if unicode.IsSpace(runes[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(runes[:cut]), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r)
	}) + "…"
}
