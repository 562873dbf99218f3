package mongo

import (
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"golang.org/x/text/cases"
)

// requestDocument is a request as the requests collection stores it. Times are BSON dates
// in whole seconds, absent when zero. An empty token, list or location is absent too, so
// that the sparse token index and the 2dsphere index leave the request out.
type requestDocument struct {
	ID                string              `bson:"_id"`
	Jurisdiction      string              `bson:"jurisdiction"`
	Token             string              `bson:"token,omitempty"`
	ServiceCode       string              `bson:"service_code"`
	ServiceName       string              `bson:"service_name"`
	Status            string              `bson:"status"`
	StatusNotes       string              `bson:"status_notes"`
	Description       string              `bson:"description"`
	AgencyResponsible string              `bson:"agency_responsible"`
	AgencyFolded      string              `bson:"agency_folded"`
	ServiceNotice     string              `bson:"service_notice"`
	Requested         *time.Time          `bson:"requested,omitempty"`
	Updated           *time.Time          `bson:"updated,omitempty"`
	Expected          *time.Time          `bson:"expected,omitempty"`
	Address           string              `bson:"address"`
	AddressID         string              `bson:"address_id"`
	Zipcode           string              `bson:"zipcode"`
	Location          *geoPoint           `bson:"location,omitempty"`
	MediaURL          string              `bson:"media_url"`
	Title             string              `bson:"title"`
	DetailedStatus    string              `bson:"detailed_status"`
	DetailedStatuses  []string            `bson:"detailed_statuses"`
	MediaURLs         []string            `bson:"media_urls,omitempty"`
	ServiceObjectID   string              `bson:"service_object_id"`
	ServiceObjectType string              `bson:"service_object_type"`
	Tasks             []taskDocument      `bson:"tasks,omitempty"`
	Words             []string            `bson:"words,omitempty"`
	Attributes        []attributeDocument `bson:"attributes,omitempty"`
	Hidden            bool                `bson:"hidden"`
	Reporter          reporterDocument    `bson:"reporter"`
}

// geoPoint is a GeoJSON Point. Its coordinates are [longitude, latitude], in that order.
type geoPoint struct {
	Type        string    `bson:"type"`
	Coordinates []float64 `bson:"coordinates"`
}

type taskDocument struct {
	State     string     `bson:"state"`
	Type      string     `bson:"type"`
	OwnerName string     `bson:"owner_name"`
	Created   *time.Time `bson:"created,omitempty"`
	Modified  *time.Time `bson:"modified,omitempty"`
}

type attributeDocument struct {
	Code   string   `bson:"code"`
	Values []string `bson:"values"`
}

type reporterDocument struct {
	Email     string `bson:"email"`
	FirstName string `bson:"first_name"`
	LastName  string `bson:"last_name"`
	Phone     string `bson:"phone"`
	DeviceID  string `bson:"device_id"`
	AccountID string `bson:"account_id"`
}

// newRequestDocument returns the document of r, with the fields that queries match
// derived from it: agency_folded, detailed_statuses and words.
func newRequestDocument(r *georeport.Request) *requestDocument {
	d := &requestDocument{
		ID:                r.ID,
		Jurisdiction:      r.Jurisdiction,
		Token:             r.Token,
		ServiceCode:       r.ServiceCode,
		ServiceName:       r.ServiceName,
		Status:            string(r.Status),
		StatusNotes:       r.StatusNotes,
		Description:       r.Description,
		AgencyResponsible: r.AgencyResponsible,
		AgencyFolded:      foldAgency(r.AgencyResponsible),
		ServiceNotice:     r.ServiceNotice,
		Requested:         storedTime(r.Requested),
		Updated:           storedTime(r.Updated),
		Expected:          storedTime(r.Expected),
		Address:           r.Address,
		AddressID:         r.AddressID,
		Zipcode:           r.Zipcode,
		MediaURL:          r.MediaURL,
		Title:             r.Title,
		DetailedStatus:    r.DetailedStatus,
		DetailedStatuses:  detailedStatusList(r.DetailedStatus),
		MediaURLs:         r.MediaURLs,
		ServiceObjectID:   r.ServiceObjectID,
		ServiceObjectType: r.ServiceObjectType,
		Words:             searchWords(r),
		Hidden:            r.Visibility == georeport.Hidden,
		Reporter: reporterDocument{
			Email:     r.Reporter.Email,
			FirstName: r.Reporter.FirstName,
			LastName:  r.Reporter.LastName,
			Phone:     r.Reporter.Phone,
			DeviceID:  r.Reporter.DeviceID,
			AccountID: r.Reporter.AccountID,
		},
	}
	if p := r.Location; p != nil {
		d.Location = &geoPoint{Type: "Point", Coordinates: []float64{p.Long, p.Lat}}
	}
	for _, t := range r.Tasks {
		d.Tasks = append(d.Tasks, taskDocument{
			State:     t.State,
			Type:      t.Type,
			OwnerName: t.OwnerName,
			Created:   storedTime(t.Created),
			Modified:  storedTime(t.Modified),
		})
	}
	for _, a := range r.Attributes {
		d.Attributes = append(d.Attributes, attributeDocument{Code: a.Code, Values: a.Values})
	}
	return d
}

// request returns the request that d stores, with times in UTC.
func (d *requestDocument) request() georeport.Request {
	r := georeport.Request{
		ID:                d.ID,
		Jurisdiction:      d.Jurisdiction,
		Token:             d.Token,
		ServiceCode:       d.ServiceCode,
		ServiceName:       d.ServiceName,
		Status:            georeport.Status(d.Status),
		StatusNotes:       d.StatusNotes,
		Description:       d.Description,
		AgencyResponsible: d.AgencyResponsible,
		ServiceNotice:     d.ServiceNotice,
		Requested:         loadedTime(d.Requested),
		Updated:           loadedTime(d.Updated),
		Expected:          loadedTime(d.Expected),
		Address:           d.Address,
		AddressID:         d.AddressID,
		Zipcode:           d.Zipcode,
		MediaURL:          d.MediaURL,
		Title:             d.Title,
		DetailedStatus:    d.DetailedStatus,
		MediaURLs:         d.MediaURLs,
		ServiceObjectID:   d.ServiceObjectID,
		ServiceObjectType: d.ServiceObjectType,
		Visibility:        georeport.Public,
		Reporter: georeport.Reporter{
			Email:     d.Reporter.Email,
			FirstName: d.Reporter.FirstName,
			LastName:  d.Reporter.LastName,
			Phone:     d.Reporter.Phone,
			DeviceID:  d.Reporter.DeviceID,
			AccountID: d.Reporter.AccountID,
		},
	}
	if d.Hidden {
		r.Visibility = georeport.Hidden
	}
	if p, ok := d.Location.point(); ok {
		r.Location = &p
	}
	for _, t := range d.Tasks {
		r.Tasks = append(r.Tasks, georeport.Task{
			State:     t.State,
			Type:      t.Type,
			OwnerName: t.OwnerName,
			Created:   loadedTime(t.Created),
			Modified:  loadedTime(t.Modified),
		})
	}
	for _, a := range d.Attributes {
		r.Attributes = append(r.Attributes, georeport.AttributeValue{Code: a.Code, Values: a.Values})
	}
	return r
}

// point returns the position of a GeoJSON Point, and false when p is nil or malformed.
func (p *geoPoint) point() (georeport.Point, bool) {
	if p == nil || len(p.Coordinates) < 2 {
		return georeport.Point{}, false
	}
	return georeport.Point{Long: p.Coordinates[0], Lat: p.Coordinates[1]}, true
}

// storedTime returns t as a time field stores it: truncated to the second, in UTC, or nil
// for the zero time. BSON dates hold milliseconds, and georeport keeps times to the second.
func storedTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	s := t.Truncate(time.Second).UTC()
	return &s
}

// loadedTime returns the UTC time of a time field, or the zero time when it is absent.
func loadedTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// foldAgency returns the agency as agency_folded stores it: with full Unicode case
// folding, so that "STRASSE" and "Straße" are the same agency. Accents stay.
func foldAgency(agency string) string {
	return cases.Fold().String(agency)
}

// detailedStatusList returns the elements of a detailed status list, trimmed, as
// detailed_statuses stores them. An empty element stays, so "" gives [""].
func detailedStatusList(detailed string) []string {
	parts := strings.Split(detailed, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// searchWords returns the words that q matches in a request: the search words of its
// title, description, address and agency, each once, in the order they first occur.
func searchWords(r *georeport.Request) []string {
	text := strings.Join([]string{r.Title, r.Description, r.Address, r.AgencyResponsible}, " ")
	return uniqueWords(georeport.SearchWords(text))
}

// uniqueWords returns words without repeats, in the order they first occur.
func uniqueWords(words []string) []string {
	seen := make(map[string]bool, len(words))
	var out []string
	for _, w := range words {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
