package importer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open311-to-go/open311/georeport"
)

// serviceList reads a service list under ../testdata and fails the test on any problem.
func serviceList(t *testing.T, path string, opts Options) []Service {
	t.Helper()
	res := readFile(t, path, opts)
	if res.err != nil || len(res.bad) > 0 {
		t.Fatalf("read %s: error %v, bad records %v", path, res.err, res.bad)
	}
	return res.services()
}

// merge calls MergeServices and fails the test on an error.
func merge(t *testing.T, c *georeport.Catalog, lang, jurisdiction string, entries []Service) *georeport.Catalog {
	t.Helper()
	merged, err := MergeServices(c, lang, jurisdiction, entries)
	if err != nil {
		t.Fatalf("MergeServices(%s, %q) = %v", lang, jurisdiction, err)
	}
	return merged
}

func TestMergeHelsinkiLanguages(t *testing.T) {
	english := serviceList(t, "helsinki/services.json", Options{})
	finnish := serviceList(t, "helsinki/services_fi.json", Options{})
	swedish := serviceList(t, "helsinki/services_sv.json", Options{Charset: Latin1})

	c := merge(t, nil, "en", "hel.fi", english)
	c = merge(t, c, "fi_FI", "", finnish)
	c = merge(t, c, "sv", "hel.fi", swedish)

	if c.DefaultLocale != "en" {
		t.Errorf("DefaultLocale = %q, want en, the language of the first list", c.DefaultLocale)
	}
	if diff := cmp.Diff(c.Locales, []string{"en", "fi", "sv"}); diff != "" {
		t.Errorf("Locales mismatch (-got +want):\n%s", diff)
	}
	if len(c.Jurisdictions) != 1 || c.Jurisdictions[0].ID != "hel.fi" {
		t.Errorf("Jurisdictions = %+v, want one, hel.fi", c.Jurisdictions)
	}
	if len(c.Services) != 10 {
		t.Errorf("len(Services) = %d, want 10, one per code", len(c.Services))
	}

	serviceName := func(s *georeport.Service) georeport.Text { return s.Name }
	serviceGroup := func(s *georeport.Service) georeport.Text { return s.Group }
	serviceKeywords := func(s *georeport.Service) georeport.Text { return s.Keywords }
	tests := []struct {
		code, lang, field string
		text              func(s *georeport.Service) georeport.Text
		want              string
	}{
		{"171", "en", "service_name", serviceName, "Potholes"},
		{"171", "fi", "service_name", serviceName, "Katujen kunto"},
		{"171", "sv", "service_name", serviceName, "Potthål"},
		{"198", "sv", "service_name", serviceName, "Vägmärken"},
		{"198", "fi", "service_name", serviceName, "Liikennemerkit"},
		{"171", "fi", "group", serviceGroup, "Katujen kunto ja liikenne"},
		{"171", "en", "keywords", serviceKeywords, "pothole,street condition"},
		{"171", "fi", "keywords", serviceKeywords, "tie,kuoppa"},
	}
	for _, tt := range tests {
		s := c.Service("hel.fi", tt.code)
		if s == nil {
			t.Errorf("Service(hel.fi, %s) = nil, want the service", tt.code)
			continue
		}
		if got := tt.text(s).In(tt.lang, c.DefaultLocale); got != tt.want {
			t.Errorf("service %s %s in %s = %q, want %q", tt.code, tt.field, tt.lang, got, tt.want)
		}
	}
	// Service 180 has empty keywords in every list, and an empty value adds no text.
	if s := c.Service("hel.fi", "180"); s == nil || !s.Keywords.IsZero() {
		t.Errorf("service 180 keywords = %+v, want none", s)
	}
}

func TestMergeResultParses(t *testing.T) {
	c := merge(t, nil, "de", "", serviceList(t, "giessen/services.xml", Options{}))

	data, err := georeport.MarshalCatalog(c)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := georeport.ParseCatalog("merged.json", data)
	if err != nil {
		t.Fatalf("ParseCatalog(merged catalog) = %v", err)
	}
	if parsed.Jurisdictions[0].ID != DefaultJurisdiction {
		t.Errorf("jurisdiction id = %q, want %q", parsed.Jurisdictions[0].ID, DefaultJurisdiction)
	}
	s := parsed.Service("", "015")
	if s == nil {
		t.Fatal(`Service("", "015") = nil, want Abwasser und Wasser`)
	}
	if got := s.Name.In("de", "de"); got != "Abwasser und Wasser" {
		t.Errorf("service 015 name = %q, want Abwasser und Wasser", got)
	}
	if got := parsed.Service("", "011").Name.In("de", "de"); got != "Straßen- und Gehwegschäden" {
		t.Errorf("service 011 name = %q, want Straßen- und Gehwegschäden", got)
	}
}

func TestMergeIntoDemoCatalog(t *testing.T) {
	demo := georeport.DemoCatalog()
	before, err := georeport.MarshalCatalog(demo)
	if err != nil {
		t.Fatal(err)
	}

	entries := []Service{
		{Code: "198", Name: "Road signs", Description: "Report broken road signs."},
		{Code: "900", Name: "Snow", Group: "Winter", Type: "batch"},
	}
	c := merge(t, demo, "en", "", entries)

	s := c.Service("", "198")
	if got := s.Name.In("en", "fi"); got != "Road signs" {
		t.Errorf("service 198 name in en = %q, want the imported Road signs", got)
	}
	if got := s.Name.In("sv", "fi"); got != "Trafikmärken" {
		t.Errorf("service 198 name in sv = %q, want the catalog's Trafikmärken", got)
	}
	added := c.Service("", "900")
	if added == nil {
		t.Fatal(`Service("", "900") = nil, want the added service`)
	}
	if added.Type != georeport.TypeBatch || added.Group.In("en", "fi") != "Winter" {
		t.Errorf("service 900 = type %q, group %q, want batch, Winter", added.Type, added.Group.In("en", "fi"))
	}
	if len(c.Services) != len(demo.Services)+1 {
		t.Errorf("len(Services) = %d, want %d", len(c.Services), len(demo.Services)+1)
	}

	after, err := georeport.MarshalCatalog(demo)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(after), string(before)); diff != "" {
		t.Errorf("MergeServices changed its input catalog (-got +want):\n%s", diff)
	}
}

func TestMergeErrors(t *testing.T) {
	two := merge(t, nil, "en", "a", []Service{{Code: "1", Name: "One"}})
	two = merge(t, two, "en", "b", []Service{{Code: "1", Name: "One"}})

	tests := []struct {
		name    string
		c       *georeport.Catalog
		lang    string
		entries []Service
		wantErr string
	}{
		{"no language", nil, "", nil, `merge services: "" is not a language code such as fi or en`},
		{"several jurisdictions", two, "en", nil,
			"merge services: the catalog has 2 jurisdictions (a, b), so a jurisdiction id is required"},
		{"entry without name", nil, "en", []Service{{Code: "1"}}, "service 1: service_name is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergeServices(tt.c, tt.lang, "", tt.entries)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("MergeServices() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
