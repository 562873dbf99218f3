package handlers

import (
	"math"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// requestEncoder writes service requests in one language, time zone and format.
type requestEncoder struct {
	catalog    *georeport.Catalog
	lang       string
	loc        *time.Location
	extensions bool
	// items, when set, keeps the encoded items of lists.
	items *itemCache
}

// serviceName returns the catalog's localized name when the catalog has the service, else
// the name stored with the request.
func (e *requestEncoder) serviceName(r *georeport.Request) string {
	if svc := e.catalog.Service(r.Jurisdiction, r.ServiceCode); svc != nil {
		return svc.Name.In(e.lang, e.catalog.DefaultLocale)
	}
	return r.ServiceName
}

// serviceNotice returns the request's own notice, else its service's notice in the catalog.
func (e *requestEncoder) serviceNotice(r *georeport.Request) string {
	if r.ServiceNotice != "" {
		return r.ServiceNotice
	}
	if svc := e.catalog.Service(r.Jurisdiction, r.ServiceCode); svc != nil {
		return svc.ServiceNotice.In(e.lang, e.catalog.DefaultLocale)
	}
	return ""
}

func (e *requestEncoder) appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = georeport.AppendDateTime(b, t, e.loc)
	return append(b, '"')
}

// appendXMLTime appends an element with the datetime, or an empty element for no time.
// Datetimes need no escaping.
func (e *requestEncoder) appendXMLTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return append(append(append(b, '<'), name...), "/>"...)
	}
	b = append(append(append(b, '<'), name...), '>')
	b = georeport.AppendDateTime(b, t, e.loc)
	return append(append(append(b, "</"...), name...), '>')
}

// appendJSONList appends the requests as a JSON array. distances is nil or has one entry per
// request.
func (e *requestEncoder) appendJSONList(b []byte, rs []*georeport.Request, distances []float64) []byte {
	return e.appendList(b, JSON, rs, distances)
}

// appendList appends the requests as a whole list document in the format.
func (e *requestEncoder) appendList(b []byte, f Format, rs []*georeport.Request, distances []float64) []byte {
	b = appendListHead(b, f)
	if e.items == nil || distances != nil {
		for i := range rs {
			b = e.appendListItem(b, f, i, rs[i], distanceAt(distances, i))
		}
		return appendListTail(b, f)
	}

	// Look the page's items up, then encode what the cache did not have. A page of up to
	// listPartSize items keeps their slice on the stack: made on the heap, it was a fifth of
	// what a bbox page allocated.
	variant := e.variant(f)
	var onStack [listPartSize][]byte
	items := onStack[:0]
	if len(rs) <= len(onStack) {
		items = onStack[:len(rs)]
	} else {
		items = make([][]byte, len(rs))
	}
	e.items.getAll(variant, rs, items)
	for i, r := range rs {
		if i > 0 && f != XML {
			b = append(b, ',')
		}
		if items[i] != nil {
			b = append(b, items[i]...)
			continue
		}
		start := len(b)
		b = e.appendItem(b, f, r, math.NaN())
		e.items.put(itemKey{request: r, itemVariant: variant}, b[start:])
	}
	return appendListTail(b, f)
}

// variant returns the settings that an item's encoding in the format depends on besides
// its request.
func (e *requestEncoder) variant(f Format) itemVariant {
	return itemVariant{format: f, extensions: e.extensions, lang: e.lang}
}

// appendListHead, appendListItem and appendListTail write a list document in parts, so that
// a long list can be sent while it is read. n counts the items of the document from 0.
func appendListHead(b []byte, f Format) []byte {
	switch f {
	case XML:
		return append(append(b, xmlHeader...), "<service_requests>"...)
	case GeoJSON:
		return append(b, `{"type":"FeatureCollection","features":[`...)
	}
	return append(b, '[')
}

func (e *requestEncoder) appendListItem(b []byte, f Format, n int, r *georeport.Request, distance float64) []byte {
	if n > 0 && f != XML {
		b = append(b, ',')
	}
	// An item with a distance belongs to one query, so only the others are kept.
	if e.items == nil || !math.IsNaN(distance) {
		return e.appendItem(b, f, r, distance)
	}
	key := itemKey{request: r, itemVariant: e.variant(f)}
	if item, ok := e.items.get(key); ok {
		return append(b, item...)
	}
	start := len(b)
	b = e.appendItem(b, f, r, distance)
	e.items.put(key, b[start:])
	return b
}

// appendItem appends one request as an item of a list in the format.
func (e *requestEncoder) appendItem(b []byte, f Format, r *georeport.Request, distance float64) []byte {
	switch f {
	case XML:
		return e.appendXMLRequest(b, r, distance)
	case GeoJSON:
		return e.appendFeature(b, r, distance)
	}
	return e.appendJSONObject(b, r, distance)
}

func appendListTail(b []byte, f Format) []byte {
	switch f {
	case XML:
		return append(b, "</service_requests>\n"...)
	case GeoJSON:
		return append(b, "]}\n"...)
	}
	return append(b, "]\n"...)
}

func distanceAt(distances []float64, i int) float64 {
	if distances == nil {
		return math.NaN()
	}
	return distances[i]
}

// appendJSONObject appends one request as a JSON object. A NaN distance is left out.
func (e *requestEncoder) appendJSONObject(b []byte, r *georeport.Request, distance float64) []byte {
	b = append(b, `{"service_request_id":`...)
	b = appendJSONString(b, r.ID)
	b = e.appendJSONFields(b, r, distance)
	return append(b, '}')
}

// appendJSONFields appends every field after service_request_id, each preceded by a comma.
func (e *requestEncoder) appendJSONFields(b []byte, r *georeport.Request, distance float64) []byte {
	b = append(b, `,"status":`...)
	b = appendJSONStringOrNull(b, string(r.Status))
	b = append(b, `,"status_notes":`...)
	b = appendJSONStringOrNull(b, r.StatusNotes)
	b = append(b, `,"service_name":`...)
	b = appendJSONStringOrNull(b, e.serviceName(r))
	b = append(b, `,"service_code":`...)
	b = appendJSONStringOrNull(b, r.ServiceCode)
	b = append(b, `,"description":`...)
	b = appendJSONStringOrNull(b, r.Description)
	b = append(b, `,"agency_responsible":`...)
	b = appendJSONStringOrNull(b, r.AgencyResponsible)
	b = append(b, `,"service_notice":`...)
	b = appendJSONStringOrNull(b, e.serviceNotice(r))
	b = append(b, `,"requested_datetime":`...)
	b = e.appendTime(b, r.Requested)
	b = append(b, `,"updated_datetime":`...)
	b = e.appendTime(b, r.Updated)
	b = append(b, `,"expected_datetime":`...)
	b = e.appendTime(b, r.Expected)
	b = append(b, `,"address":`...)
	b = appendJSONStringOrNull(b, r.Address)
	b = append(b, `,"address_id":`...)
	b = appendJSONStringOrNull(b, r.AddressID)
	b = append(b, `,"zipcode":`...)
	b = appendJSONStringOrNull(b, r.Zipcode)
	if r.Location != nil {
		b = append(b, `,"lat":`...)
		b = appendFloat(b, r.Location.Lat)
		b = append(b, `,"long":`...)
		b = appendFloat(b, r.Location.Long)
	} else {
		b = append(b, `,"lat":null,"long":null`...)
	}
	b = append(b, `,"media_url":`...)
	b = appendJSONStringOrNull(b, r.MediaURL)
	if !math.IsNaN(distance) {
		b = append(b, `,"distance":`...)
		b = appendFloat(b, roundCentimetres(distance))
	}
	if e.extensions {
		b = append(b, `,"extended_attributes":`...)
		b = e.appendJSONExtended(b, r)
	}
	return b
}

func roundCentimetres(metres float64) float64 { return math.Round(metres*100) / 100 }

func (e *requestEncoder) appendJSONExtended(b []byte, r *georeport.Request) []byte {
	b = append(b, `{"title":`...)
	b = appendJSONStringOrNull(b, r.Title)
	b = append(b, `,"detailed_status":`...)
	b = appendJSONStringOrNull(b, r.DetailedStatus)
	b = append(b, `,"media_urls":[`...)
	for i, u := range r.MediaURLs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, u)
	}
	b = append(b, `],"service_object_id":`...)
	b = appendJSONStringOrNull(b, r.ServiceObjectID)
	b = append(b, `,"service_object_type":`...)
	b = appendJSONStringOrNull(b, r.ServiceObjectType)
	b = append(b, `,"tasks":[`...)
	for i := range r.Tasks {
		t := &r.Tasks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"task_state":`...)
		b = appendJSONStringOrNull(b, t.State)
		b = append(b, `,"task_type":`...)
		b = appendJSONStringOrNull(b, t.Type)
		b = append(b, `,"owner_name":`...)
		b = appendJSONStringOrNull(b, t.OwnerName)
		b = append(b, `,"task_modified":`...)
		b = e.appendTime(b, t.Modified)
		b = append(b, `,"task_created":`...)
		b = e.appendTime(b, t.Created)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendXMLList appends the requests as <service_requests>.
func (e *requestEncoder) appendXMLList(b []byte, rs []*georeport.Request, distances []float64) []byte {
	return e.appendList(b, XML, rs, distances)
}

func (e *requestEncoder) appendXMLRequest(b []byte, r *georeport.Request, distance float64) []byte {
	b = append(b, "<request>"...)
	b = appendXMLElement(b, "service_request_id", r.ID)
	b = appendXMLElement(b, "status", string(r.Status))
	b = appendXMLElement(b, "status_notes", r.StatusNotes)
	b = appendXMLElement(b, "service_name", e.serviceName(r))
	b = appendXMLElement(b, "service_code", r.ServiceCode)
	b = appendXMLElement(b, "description", r.Description)
	b = appendXMLElement(b, "agency_responsible", r.AgencyResponsible)
	b = appendXMLElement(b, "service_notice", e.serviceNotice(r))
	b = e.appendXMLTime(b, "requested_datetime", r.Requested)
	b = e.appendXMLTime(b, "updated_datetime", r.Updated)
	b = e.appendXMLTime(b, "expected_datetime", r.Expected)
	b = appendXMLElement(b, "address", r.Address)
	b = appendXMLElement(b, "address_id", r.AddressID)
	b = appendXMLElement(b, "zipcode", r.Zipcode)
	if r.Location != nil {
		b = append(b, "<lat>"...)
		b = appendFloat(b, r.Location.Lat)
		b = append(b, "</lat><long>"...)
		b = appendFloat(b, r.Location.Long)
		b = append(b, "</long>"...)
	} else {
		b = append(b, "<lat/><long/>"...)
	}
	b = appendXMLElement(b, "media_url", r.MediaURL)
	if !math.IsNaN(distance) {
		b = append(b, "<distance>"...)
		b = appendFloat(b, roundCentimetres(distance))
		b = append(b, "</distance>"...)
	}
	if e.extensions {
		b = e.appendXMLExtended(b, r)
	}
	return append(b, "</request>"...)
}

func (e *requestEncoder) appendXMLExtended(b []byte, r *georeport.Request) []byte {
	b = append(b, "<extended_attributes>"...)
	b = appendXMLElement(b, "title", r.Title)
	b = appendXMLElement(b, "detailed_status", r.DetailedStatus)
	b = append(b, "<media_urls>"...)
	for _, u := range r.MediaURLs {
		b = appendXMLElement(b, "media_url", u)
	}
	b = append(b, "</media_urls>"...)
	b = appendXMLElement(b, "service_object_id", r.ServiceObjectID)
	b = appendXMLElement(b, "service_object_type", r.ServiceObjectType)
	b = append(b, "<tasks>"...)
	for i := range r.Tasks {
		t := &r.Tasks[i]
		b = append(b, "<task>"...)
		b = appendXMLElement(b, "task_state", t.State)
		b = appendXMLElement(b, "task_type", t.Type)
		b = appendXMLElement(b, "owner_name", t.OwnerName)
		b = e.appendXMLTime(b, "task_modified", t.Modified)
		b = e.appendXMLTime(b, "task_created", t.Created)
		b = append(b, "</task>"...)
	}
	return append(b, "</tasks></extended_attributes>"...)
}

// appendGeoJSON appends the requests as a FeatureCollection of Point features whose
// properties are the request fields. A request without coordinates has a null geometry.
func (e *requestEncoder) appendGeoJSON(b []byte, rs []*georeport.Request, distances []float64) []byte {
	return e.appendList(b, GeoJSON, rs, distances)
}

// appendFeature appends one request as a GeoJSON feature.
func (e *requestEncoder) appendFeature(b []byte, r *georeport.Request, distance float64) []byte {
	b = append(b, `{"type":"Feature","id":`...)
	b = appendJSONString(b, r.ID)
	if r.Location != nil {
		b = append(b, `,"geometry":{"type":"Point","coordinates":[`...)
		b = appendFloat(b, r.Location.Long)
		b = append(b, ',')
		b = appendFloat(b, r.Location.Lat)
		b = append(b, "]}"...)
	} else {
		b = append(b, `,"geometry":null`...)
	}
	b = append(b, `,"properties":`...)
	b = e.appendJSONObject(b, r, distance)
	return append(b, '}')
}
