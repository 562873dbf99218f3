package georeport

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

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
	fmt.Fprintf(&b, "catalog %s is invalid (%d problems):", e.File, len(e.Problems))
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
	var c Catalog
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, &CatalogError{File: name, Problems: []string{describeJSONError(data, err)}}
	}
	var raw any
	_ = json.Unmarshal(data, &raw) // it decoded once already
	problems := unknownFields(raw)
	problems = append(problems, c.normalize()...)
	if len(problems) > 0 {
		return nil, &CatalogError{File: name, Problems: problems}
	}
	return &c, nil
}

// MarshalCatalog returns the catalog as a catalog file, as stores keep it.
func MarshalCatalog(c *Catalog) ([]byte, error) {
	return json.MarshalIndent(c, "", "  ")
}

func describeJSONError(data []byte, err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line := 1 + bytes.Count(data[:syntax.Offset], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		line := 1 + bytes.Count(data[:typeErr.Offset], []byte("\n"))
		return fmt.Sprintf("line %d: field %s must be a JSON %s, not %s", line, typeErr.Field, typeErr.Type, typeErr.Value)
	}
	return err.Error()
}

// Fields a catalog file may contain, per object kind, for the check of unknown fields.
var catalogFields = map[string][]string{
	"catalog":      {"default_locale", "locales", "jurisdictions", "services", "contact", "key_service", "changeset", "endpoint_type"},
	"jurisdiction": {"id", "name", "moderation"},
	"service": {"jurisdiction", "service_code", "service_name", "description", "keywords", "group", "type", "location",
		"description_length", "service_notice", "agency_responsible", "expected_days", "attributes", "metadata"},
	"attribute": {"code", "datatype", "required", "variable", "order", "description", "datatype_description", "values"},
	"value":     {"key", "name"},
	"range":     {"min", "max"},
}

// unknownFields lists fields the catalog format does not have, which are usually typos.
func unknownFields(raw any) []string {
	var problems []string
	check := func(kind, where string, v any) {
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		for field := range obj {
			known := false
			for _, f := range catalogFields[kind] {
				known = known || f == field
			}
			if !known {
				problems = append(problems, fmt.Sprintf("%s: unknown field %q", where, field))
			}
		}
	}
	root, _ := raw.(map[string]any)
	check("catalog", "catalog", root)
	jurisdictions, _ := root["jurisdictions"].([]any)
	for i, j := range jurisdictions {
		check("jurisdiction", fmt.Sprintf("jurisdiction %d", i+1), j)
	}
	services, _ := root["services"].([]any)
	for i, s := range services {
		obj, _ := s.(map[string]any)
		where := fmt.Sprintf("service %d", i+1)
		if code, ok := obj["service_code"].(string); ok && code != "" {
			where = "service " + code
		}
		check("service", where, obj)
		check("range", where+": description_length", obj["description_length"])
		attributes, _ := obj["attributes"].([]any)
		for k, a := range attributes {
			attr, _ := a.(map[string]any)
			aw := fmt.Sprintf("%s: attribute %d", where, k+1)
			if code, ok := attr["code"].(string); ok && code != "" {
				aw = where + ": attribute " + code
			}
			check("attribute", aw, attr)
			values, _ := attr["values"].([]any)
			for n, v := range values {
				check("value", fmt.Sprintf("%s: value %d", aw, n+1), v)
			}
		}
	}
	sort.Strings(problems)
	return problems
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

	c.byCode = make(map[serviceKey]*Service, len(c.Services))
	for i := range c.Services {
		problems = append(problems, c.normalizeService(&c.Services[i], i)...)
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
	if s.ExpectedDays < 0 {
		add("expected_days %d is negative", s.ExpectedDays)
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
