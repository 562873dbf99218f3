package importer

import (
	"fmt"
	"slices"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// DefaultJurisdiction is the id of the jurisdiction that MergeServices creates when it starts
// a catalog and is given no jurisdiction id.
const DefaultJurisdiction = "default"

// MergeServices returns a new catalog: c with an imported service list in language lang
// merged into jurisdiction. c itself is not changed.
//
// A service whose code the jurisdiction has already gets the entry's name, description,
// keywords and group as its text in lang. It keeps its text in other languages, so importing
// Helsinki's English and then its Finnish list gives one bilingual catalog. An
// empty value leaves the service's text in lang as it was. A non-empty type replaces the
// service's type. A code the jurisdiction lacks adds a service with the entry's text in lang.
// When entries repeat a code, the later entry's text wins. lang joins the catalog's locales,
// and a jurisdiction id that c lacks joins its jurisdictions.
//
// When c is nil, MergeServices starts a catalog whose default locale is lang, with one
// jurisdiction: jurisdiction, or DefaultJurisdiction when that is empty. When c is not nil
// and jurisdiction is empty, c must have exactly one jurisdiction, which is used.
//
// NOTE: A service list does not contain service definitions, so a service that the
// list marks with metadata true is added with no attributes, and the catalog
// reports metadata false for it.
//
// MergeServices returns an error when lang is not a language code, when jurisdiction is
// empty and c has several jurisdictions, and a *georeport.CatalogError when the result breaks
// a catalog rule. The result is built with georeport.MarshalCatalog and
// georeport.ParseCatalog, so its indexes and defaults are those of a loaded catalog file.
func MergeServices(c *georeport.Catalog, lang, jurisdiction string, entries []Service) (*georeport.Catalog, error) {
	const name = "merged catalog"
	base := locale.Base(lang)
	if base == "" {
		return nil, fmt.Errorf("merge services: %q is not a language code such as fi or en", lang)
	}

	merged, err := copyCatalog(c, base, jurisdiction)
	if err != nil {
		return nil, err
	}
	if jurisdiction == "" {
		if len(merged.Jurisdictions) != 1 {
			return nil, fmt.Errorf("merge services: the catalog has %d jurisdictions (%s), so a jurisdiction id is required",
				len(merged.Jurisdictions), merged.JurisdictionIDs())
		}
		jurisdiction = merged.Jurisdictions[0].ID
	}

	if merged.JurisdictionByID(jurisdiction) == nil {
		merged.Jurisdictions = append(merged.Jurisdictions, georeport.Jurisdiction{ID: jurisdiction})
	}
	if !slices.Contains(merged.Locales, base) {
		merged.Locales = append(merged.Locales, base)
	}

	index := make(map[string]int)
	for i, s := range merged.Services {
		if s.Jurisdiction == jurisdiction {
			index[s.Code] = i
		}
	}
	for _, e := range entries {
		i, ok := index[e.Code]
		if !ok {
			merged.Services = append(merged.Services, georeport.Service{Jurisdiction: jurisdiction, Code: e.Code})
			i = len(merged.Services) - 1
			index[e.Code] = i
		}
		s := &merged.Services[i]
		s.Name = s.Name.With(base, e.Name)
		s.Description = s.Description.With(base, e.Description)
		s.Keywords = s.Keywords.With(base, e.Keywords)
		s.Group = s.Group.With(base, e.Group)
		if e.Type != "" {
			s.Type = e.Type
		}
	}

	data, err := georeport.MarshalCatalog(merged)
	if err != nil {
		return nil, fmt.Errorf("merge services: %w", err)
	}
	return georeport.ParseCatalog(name, data)
}

// copyCatalog returns a deep copy of c, or a new catalog in lang when c is nil.
func copyCatalog(c *georeport.Catalog, lang, jurisdiction string) (*georeport.Catalog, error) {
	if c == nil {
		if jurisdiction == "" {
			jurisdiction = DefaultJurisdiction
		}
		return &georeport.Catalog{
			DefaultLocale: lang,
			Locales:       []string{lang},
			Jurisdictions: []georeport.Jurisdiction{{ID: jurisdiction}},
		}, nil
	}

	data, err := georeport.MarshalCatalog(c)
	if err != nil {
		return nil, fmt.Errorf("merge services: %w", err)
	}
	out, err := georeport.ParseCatalog("catalog", data)
	if err != nil {
		return nil, fmt.Errorf("merge services: the catalog to merge into is invalid: %w", err)
	}
	return out, nil
}
