package georeport

import (
	"errors"
	"strings"
	"testing"
)

func TestDemoCatalog(t *testing.T) {
	c := DemoCatalog()
	if got := len(c.Services); got != 10 {
		t.Errorf("the demo catalog has %d services, want Helsinki's 10", got)
	}
	for _, s := range c.Services {
		for _, lang := range []string{"fi", "sv", "en"} {
			if name := s.Name.In(lang, "fi"); name == "" {
				t.Errorf("service %s has no name in %s", s.Code, lang)
			}
		}
	}
	if got := c.Service("", "171").Name.In("sv", "fi"); got != "Gatornas skick" {
		t.Errorf("service 171 in Swedish is %q, want Gatornas skick", got)
	}
}

func TestParseCatalogListsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		data string
		// want lists text that must each appear in one of the problems.
		want []string
	}{
		{"types and datatypes", `{"default_locale": "en", "locales": ["en"],
			"jurisdictions": [{"id": "x", "moderation": "none"}],
			"services": [
			  {"service_code": "BAD-TYPE", "service_name": "Bad type", "type": "sometimes"},
			  {"service_code": "BAD-DATATYPE", "service_name": "Bad datatype",
			   "attributes": [{"code": "X", "datatype": "colour", "order": 1}]}]}`,
			[]string{`service BAD-TYPE: type "sometimes"`, `service BAD-DATATYPE: attribute X: datatype "colour"`}},
		{"wrong JSON types everywhere", `{"jurisdictions": [{"id": "x"}], "services": [
			  {"service_code": "A", "service_name": "A", "keywords": ["a", "b"], "expected_days": "14"},
			  {"service_code": "B", "service_name": {"en": 5}, "attributes": [{"code": "C", "required": "yes"}]}]}`,
			[]string{"service A: keywords must be a string or an object", "service A: expected_days must be a whole number",
				`service B: service_name["en"] must be a string`, "service B: attribute C: required must be true or false"}},
		{"a wrong JSON type and other problems", `{"default_locale": "de", "locales": ["en"], "jurisdictions": [{"id": "x"}],
			"services": [{"service_code": "A", "service_name": "A", "attributes": [{"code": "C", "datatype": "string", "order": "one"}]},
			  {"service_code": "B", "service_name": "B", "type": "sometimes"}]}`,
			[]string{"service A: attribute C: order must be a whole number", `service B: type "sometimes"`,
				`default_locale "de" is not in locales`}},
		{"a top-level field of a wrong JSON type", `{"default_locale": "en", "locales": 5, "jurisdictions": [{"id": "x"}],
			"services": [{"service_code": "A", "service_name": {"en": "A", "fi": "A"}}]}`,
			[]string{"catalog: locales must be an array of strings"}},
		{"unknown fields", `{"jurisdictions": [{"id": "x"}], "services": [{"service_code": "A", "service_name": "A",
			"servce_notice": "typo"}], "colour": 1}`,
			[]string{`service A: unknown field "servce_notice"`, `catalog: unknown field "colour"`}},
		{"languages", `{"default_locale": "de", "locales": ["en", "fi"], "jurisdictions": [{"id": "x"}],
			"services": [{"service_code": "A", "service_name": {"en": "A", "sv": "A på svenska"}, "expected_days": 1000000000}]}`,
			[]string{`default_locale "de" is not in locales`, `service A: service_name has text in "sv"`,
				"service A: expected_days 1000000000 is out of range"}},
		{"missing parts", `{"jurisdictions": [], "services": []}`,
			[]string{"at least one jurisdiction", "at least one service"}},
		{"duplicates", `{"jurisdictions": [{"id": "x"}], "services": [{"service_code": "A", "service_name": "A"},
			{"service_code": "A", "service_name": "B", "attributes": [{"code": "C", "datatype": "string"},
			{"code": "C", "datatype": "singlevaluelist"}]}]}`,
			[]string{"service A: service_code is listed twice", "attribute C: code is listed twice",
				"attribute C: datatype singlevaluelist needs values"}},
		{"Latin-1", "{\"jurisdictions\": [{\"id\": \"x\"}], \"services\": [{\"service_code\": \"A\", \"service_name\": \"Suurj\xe4te\"}]}",
			[]string{"byte offset 90 (byte 0xE4) is not valid UTF-8"}},
		{"syntax", "{\n  \"services\": [\n    {\"service_code\": \"A\",}\n  ]\n}",
			[]string{"line 3, column"}},
		{"not an object", `[{"service_code": "A"}]`, []string{"the file is a JSON array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCatalog("broken-catalog.json", []byte(tt.data))
			var catalogErr *CatalogError
			if !errors.As(err, &catalogErr) {
				t.Fatalf("ParseCatalog error = %v, want a *CatalogError", err)
			}
			text := err.Error()
			if !strings.Contains(text, "broken-catalog.json") {
				t.Errorf("the error does not name the file:\n%s", text)
			}
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("the error does not contain %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestParseCatalogDefaults(t *testing.T) {
	c, err := ParseCatalog("minimal.json", []byte(`{"jurisdictions": [{"id": "x"}],
		"services": [{"service_code": "A", "service_name": "A"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Service("", "A")
	if c.DefaultLocale != "en" || s.Type != TypeRealtime || s.Location != LocationAny || s.Jurisdiction != "x" ||
		c.Jurisdictions[0].Moderation != ModerationNone || c.EndpointType != "production" {
		t.Errorf("defaults are %q %q %q %q %q %q", c.DefaultLocale, s.Type, s.Location, s.Jurisdiction,
			c.Jurisdictions[0].Moderation, c.EndpointType)
	}
	if min, max := s.DescriptionLimits(); min != 0 || max != DefaultDescriptionMax {
		t.Errorf("DescriptionLimits() = %d, %d, want 0, %d", min, max, DefaultDescriptionMax)
	}
}

func TestMarshalCatalogRoundTrip(t *testing.T) {
	c := DemoCatalog()
	data, err := MarshalCatalog(c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseCatalog("saved", data)
	if err != nil {
		t.Fatalf("a marshalled catalog does not parse: %v", err)
	}
	if again.Service("", "176").Name.In("sv", "fi") != "Klottersanering" || len(again.Services) != len(c.Services) {
		t.Error("the catalog changed in a round trip")
	}
}

// TestParseCatalogTopLevelTypeAlone checks that a top-level field of a wrong JSON type is
// listed without the problems that its absence causes in every service.
func TestParseCatalogTopLevelTypeAlone(t *testing.T) {
	data := `{"default_locale": "en", "locales": 5, "jurisdictions": [{"id": "x"}], "services": [
		{"service_code": "A", "service_name": {"en": "A", "fi": "A"}},
		{"service_code": "B", "service_name": {"en": "B", "fi": "B"}}]}`
	_, err := ParseCatalog("catalog.json", []byte(data))
	var catalogErr *CatalogError
	if !errors.As(err, &catalogErr) {
		t.Fatalf("ParseCatalog error = %v, want a *CatalogError", err)
	}
	if len(catalogErr.Problems) != 1 {
		t.Errorf("problems = %q, want only the one of locales", catalogErr.Problems)
	}
}
