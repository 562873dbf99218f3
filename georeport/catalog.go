package georeport

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/open311-to-go/open311/locale"
)

// Service types of the standard.
const (
	TypeRealtime = "realtime"
	TypeBatch    = "batch"
	TypeBlackbox = "blackbox"
)

// Location rules a catalog sets per service.
const (
	LocationAny         = "any"         // one of lat+long, address_string, address_id or a service object
	LocationCoordinates = "coordinates" // lat and long
	LocationNone        = "none"        // a location is optional
)

// Moderation modes of a jurisdiction.
const (
	ModerationNone = "none"
	ModerationPre  = "pre" // new requests stay hidden until staff publish them
)

// Attribute datatypes of the standard.
const (
	DatatypeString          = "string"
	DatatypeNumber          = "number"
	DatatypeDatetime        = "datetime"
	DatatypeText            = "text"
	DatatypeSingleValueList = "singlevaluelist"
	DatatypeMultiValueList  = "multivaluelist"
)

// DefaultDescriptionMax is the maximum length of a description, in Unicode code points, for
// services whose catalog entry sets no limit.
const DefaultDescriptionMax = 4000

// Catalog is the list of jurisdictions and services a server offers, loaded from a catalog
// file or built from imported service lists.
type Catalog struct {
	DefaultLocale string         `json:"default_locale"`
	Locales       []string       `json:"locales,omitempty"`
	Jurisdictions []Jurisdiction `json:"jurisdictions"`
	Services      []Service      `json:"services"`

	// Discovery document fields. Each has a default, so a catalog may leave them out.
	Contact      Text   `json:"contact,omitzero"`
	KeyService   Text   `json:"key_service,omitzero"`
	Changeset    string `json:"changeset,omitempty"`
	EndpointType string `json:"endpoint_type,omitempty"` // "production" (default) or "test"

	languages locale.Set
	byCode    map[serviceKey]*Service
}

type serviceKey struct{ jurisdiction, code string }

// Jurisdiction is a city or an area whose services and requests are kept apart from others'.
type Jurisdiction struct {
	ID         string `json:"id"`
	Name       Text   `json:"name,omitzero"`
	Moderation string `json:"moderation,omitempty"`
}

// Service is one kind of request a jurisdiction accepts, with its definition.
type Service struct {
	Jurisdiction      string      `json:"jurisdiction,omitempty"`
	Code              string      `json:"service_code"`
	Name              Text        `json:"service_name"`
	Description       Text        `json:"description,omitzero"`
	Keywords          Text        `json:"keywords,omitzero"`
	Group             Text        `json:"group,omitzero"`
	Type              string      `json:"type,omitempty"`
	Location          string      `json:"location,omitempty"`
	DescriptionLength *Range      `json:"description_length,omitempty"`
	ServiceNotice     Text        `json:"service_notice,omitzero"`
	AgencyResponsible string      `json:"agency_responsible,omitempty"`
	ExpectedDays      int         `json:"expected_days,omitempty"`
	Attributes        []Attribute `json:"attributes,omitempty"`
}

// Range is an inclusive range of lengths in Unicode code points.
type Range struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Attribute is a field of a service definition that a POST may or must fill.
type Attribute struct {
	Code                string  `json:"code"`
	Datatype            string  `json:"datatype"`
	Required            bool    `json:"required"`
	Variable            bool    `json:"variable"`
	Order               int     `json:"order"`
	Description         Text    `json:"description,omitzero"`
	DatatypeDescription Text    `json:"datatype_description,omitzero"`
	Values              []Value `json:"values,omitempty"`
}

// Value is one choice of a list attribute.
type Value struct {
	Key  string `json:"key"`
	Name Text   `json:"name"`
}

// Metadata reports whether the service has a definition with attributes. The service list
// returns it as the metadata field.
func (s *Service) Metadata() bool { return len(s.Attributes) > 0 }

// DescriptionLimits returns the minimum and maximum length of a description.
func (s *Service) DescriptionLimits() (min, max int) {
	if s.DescriptionLength == nil {
		return 0, DefaultDescriptionMax
	}
	return s.DescriptionLength.Min, s.DescriptionLength.Max
}

// HasKey reports whether a list attribute has a value with the key.
func (a *Attribute) HasKey(key string) bool {
	for _, v := range a.Values {
		if v.Key == key {
			return true
		}
	}
	return false
}

// Keys returns the keys of a list attribute, comma-separated, for error descriptions.
func (a *Attribute) Keys() string {
	keys := make([]string, len(a.Values))
	for i, v := range a.Values {
		keys[i] = v.Key
	}
	return strings.Join(keys, ", ")
}

// Languages returns the catalog's languages, the default first.
func (c *Catalog) Languages() locale.Set { return c.languages }

// Service returns the service with the code in the jurisdiction, or nil. With one
// jurisdiction, the jurisdiction argument is ignored.
func (c *Catalog) Service(jurisdiction, code string) *Service {
	if len(c.Jurisdictions) == 1 {
		jurisdiction = c.Jurisdictions[0].ID
	}
	return c.byCode[serviceKey{jurisdiction, code}]
}

// ServicesOf returns the services of a jurisdiction in catalog order.
func (c *Catalog) ServicesOf(jurisdiction string) []*Service {
	var out []*Service
	for i := range c.Services {
		if c.Services[i].Jurisdiction == jurisdiction {
			out = append(out, &c.Services[i])
		}
	}
	return out
}

// JurisdictionByID returns the jurisdiction with the id, or nil.
func (c *Catalog) JurisdictionByID(id string) *Jurisdiction {
	for i := range c.Jurisdictions {
		if c.Jurisdictions[i].ID == id {
			return &c.Jurisdictions[i]
		}
	}
	return nil
}

// JurisdictionIDs returns the ids of the jurisdictions, comma-separated, for error
// descriptions.
func (c *Catalog) JurisdictionIDs() string {
	ids := make([]string, len(c.Jurisdictions))
	for i, j := range c.Jurisdictions {
		ids[i] = j.ID
	}
	return strings.Join(ids, ", ")
}

// CatalogError lists every problem found in a catalog, each naming the file, the service
// code and the field.
type CatalogError struct {
	File     string
	Problems []string
}

func (e *CatalogError) Error() string {
	var b strings.Builder
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(&b, "catalog %s is invalid (%d %s):", e.File, len(e.Problems), noun)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(e.File)
		b.WriteString(": ")
		b.WriteString(p)
	}
	return b.String()
}

//go:embed democatalog.json
var demoCatalog []byte

// DemoCatalog returns the built-in catalog: the City of Helsinki's ten feedback services in
// Finnish, Swedish and English.
func DemoCatalog() *Catalog {
	c, err := ParseCatalog("built-in demo catalog", demoCatalog)
	if err != nil {
		panic(err) // the embedded file is checked by a test
	}
	return c
}

// ParseCatalog decodes and checks a catalog file. name is the file name used in problems.
// On failure it returns a *CatalogError that lists every problem found.
func ParseCatalog(name string, data []byte) (*Catalog, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	problems := checkCatalogFile(data)
	if len(problems) > 0 && !isJSONObject(data) {
		return nil, &CatalogError{File: name, Problems: problems}
	}
	// After a value of the wrong JSON type, which checkCatalogFile has described, Unmarshal
	// fills the rest of the catalog, so that normalize can find the file's other problems.
	var c Catalog
	if err := json.Unmarshal(data, &c); err != nil && len(problems) == 0 {
		return nil, &CatalogError{File: name, Problems: []string{err.Error()}}
	}
	typeProblems := slices.Clone(problems)
	if slices.ContainsFunc(typeProblems, func(p string) bool { return strings.HasPrefix(p, "catalog: ") }) {
		// A top-level field, such as locales or jurisdictions, shapes the checks of every
		// service, which would each report its absence.
		return nil, &CatalogError{File: name, Problems: problems}
	}
	for _, problem := range c.normalize() {
		// A part with a value of the wrong type lacks that value, and would get problems
		// that fixing the type removes.
		if !slices.ContainsFunc(typeProblems, func(p string) bool { return sameSubject(p, problem) }) {
			problems = append(problems, problem)
		}
	}
	if len(problems) > 0 {
		return nil, &CatalogError{File: name, Problems: problems}
	}
	return &c, nil
}

// isJSONObject reports whether data is one well-formed JSON object in UTF-8.
func isJSONObject(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return utf8.Valid(data) && json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{'
}

// sameSubject reports whether two problems name the same part of the catalog before their
// first colon, such as service A.
func sameSubject(a, b string) bool {
	subjectA, _, okA := strings.Cut(a, ": ")
	subjectB, _, okB := strings.Cut(b, ": ")
	return okA && okB && subjectA == subjectB
}

// MarshalCatalog returns the catalog as a catalog file, as stores keep it.
func MarshalCatalog(c *Catalog) ([]byte, error) {
	return json.MarshalIndent(c, "", "  ")
}

// normalize fills defaults, checks every rule and builds the indexes. It returns the
// problems found.
func (c *Catalog) normalize() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if c.DefaultLocale == "" {
		c.DefaultLocale = "en"
	}
	if locale.Base(c.DefaultLocale) == "" {
		add("default_locale %q is not a language code such as fi or en", c.DefaultLocale)
	}
	for _, l := range c.Locales {
		if locale.Base(l) == "" {
			add("locales: %q is not a language code such as fi or en", l)
		}
	}
	if len(c.Locales) > 0 && !containsLanguage(c.Locales, c.DefaultLocale) {
		add("default_locale %q is not in locales %v; add it there", c.DefaultLocale, c.Locales)
	}
	c.languages = locale.NewSet(c.DefaultLocale, c.Locales)
	c.DefaultLocale = c.languages.Default()
	c.Locales = c.languages.Languages()
	if c.EndpointType == "" {
		c.EndpointType = "production"
	}
	if c.EndpointType != "production" && c.EndpointType != "test" {
		add("endpoint_type %q is not production or test", c.EndpointType)
	}

	if len(c.Jurisdictions) == 0 {
		add("jurisdictions: the catalog needs at least one jurisdiction")
	}
	seen := map[string]bool{}
	for i := range c.Jurisdictions {
		j := &c.Jurisdictions[i]
		if j.ID == "" {
			add("jurisdiction %d: id is missing", i+1)
		} else if seen[j.ID] {
			add("jurisdiction %s: id is listed twice", j.ID)
		}
		seen[j.ID] = true
		if j.Moderation == "" {
			j.Moderation = ModerationNone
		}
		if j.Moderation != ModerationNone && j.Moderation != ModerationPre {
			add("jurisdiction %s: moderation %q is not none or pre", j.ID, j.Moderation)
		}
	}

	if len(c.Services) == 0 {
		add("services: the catalog needs at least one service")
	}
	c.byCode = make(map[serviceKey]*Service, len(c.Services))
	for i := range c.Services {
		problems = append(problems, c.normalizeService(&c.Services[i], i)...)
	}
	problems = append(problems, c.checkLanguages()...)
	return problems
}

// MaxExpectedDays is the longest target time a catalog may give a service, ten years.
const MaxExpectedDays = 3650

func containsLanguage(list []string, lang string) bool {
	for _, l := range list {
		if locale.Base(l) == locale.Base(lang) {
			return true
		}
	}
	return false
}

// checkLanguages lists texts in languages that the catalog does not list in locales, which no
// request can select and which are usually typos.
func (c *Catalog) checkLanguages() []string {
	var problems []string
	check := func(where, field string, t Text) {
		for _, lang := range t.Languages() {
			if !c.languages.Has(lang) {
				problems = append(problems, fmt.Sprintf("%s: %s has text in %q, which is not in locales %v",
					where, field, lang, c.languages.Languages()))
			}
		}
	}
	check("catalog", "contact", c.Contact)
	check("catalog", "key_service", c.KeyService)
	for _, j := range c.Jurisdictions {
		check("jurisdiction "+j.ID, "name", j.Name)
	}
	for _, s := range c.Services {
		where := "service " + s.Code
		check(where, "service_name", s.Name)
		check(where, "description", s.Description)
		check(where, "keywords", s.Keywords)
		check(where, "group", s.Group)
		check(where, "service_notice", s.ServiceNotice)
		for _, a := range s.Attributes {
			check(where+": attribute "+a.Code, "description", a.Description)
			check(where+": attribute "+a.Code, "datatype_description", a.DatatypeDescription)
			for _, v := range a.Values {
				check(where+": attribute "+a.Code+": value "+v.Key, "name", v.Name)
			}
		}
	}
	return problems
}

func (c *Catalog) normalizeService(s *Service, index int) []string {
	where := fmt.Sprintf("service %d", index+1)
	if s.Code != "" {
		where = "service " + s.Code
	}
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, where+": "+fmt.Sprintf(format, args...))
	}

	if s.Code == "" {
		add("service_code is missing")
	}
	if s.Jurisdiction == "" && len(c.Jurisdictions) == 1 {
		s.Jurisdiction = c.Jurisdictions[0].ID
	}
	if c.JurisdictionByID(s.Jurisdiction) == nil {
		add("jurisdiction %q is not in jurisdictions", s.Jurisdiction)
	}
	key := serviceKey{s.Jurisdiction, s.Code}
	if s.Code != "" && c.byCode[key] != nil {
		add("service_code is listed twice in jurisdiction %s", s.Jurisdiction)
	}
	c.byCode[key] = s
	if s.Name.IsZero() {
		add("service_name is missing")
	}
	if s.Type == "" {
		s.Type = TypeRealtime
	}
	if s.Type != TypeRealtime && s.Type != TypeBatch && s.Type != TypeBlackbox {
		add("type %q is not realtime, batch or blackbox", s.Type)
	}
	if s.Location == "" {
		s.Location = LocationAny
	}
	if s.Location != LocationAny && s.Location != LocationCoordinates && s.Location != LocationNone {
		add("location %q is not any, coordinates or none", s.Location)
	}
	if r := s.DescriptionLength; r != nil && (r.Min < 0 || r.Max < 1 || r.Min > r.Max) {
		add("description_length {min %d, max %d} needs 0 <= min <= max and max >= 1", r.Min, r.Max)
	}
	if s.ExpectedDays < 0 || s.ExpectedDays > MaxExpectedDays {
		add("expected_days %d is out of range; use 0 to %d days", s.ExpectedDays, MaxExpectedDays)
	}

	codes := map[string]bool{}
	for i := range s.Attributes {
		a := &s.Attributes[i]
		aw := fmt.Sprintf("attribute %d", i+1)
		if a.Code != "" {
			aw = "attribute " + a.Code
		}
		switch {
		case a.Code == "":
			add("%s: code is missing", aw)
		case codes[a.Code]:
			add("%s: code is listed twice", aw)
		case strings.ContainsAny(a.Code, "[]"):
			add("%s: code must not contain [ or ]", aw)
		}
		codes[a.Code] = true
		switch a.Datatype {
		case DatatypeString, DatatypeNumber, DatatypeDatetime, DatatypeText:
			if len(a.Values) > 0 {
				add("%s: datatype %s takes no values", aw, a.Datatype)
			}
		case DatatypeSingleValueList, DatatypeMultiValueList:
			if len(a.Values) == 0 {
				add("%s: datatype %s needs values", aw, a.Datatype)
			}
			keys := map[string]bool{}
			for _, v := range a.Values {
				if v.Key == "" || keys[v.Key] {
					add("%s: value key %q is empty or listed twice", aw, v.Key)
				}
				keys[v.Key] = true
			}
		default:
			add("%s: datatype %q is not string, number, datetime, text, singlevaluelist or multivaluelist", aw, a.Datatype)
		}
	}
	sort.SliceStable(s.Attributes, func(i, j int) bool { return s.Attributes[i].Order < s.Attributes[j].Order })
	return problems
}
