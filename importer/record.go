package importer

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// rawRecord is one element of a request list or a service list as the file gives it, before
// any check. JSON and XML decode into the same fields, because the standard's XML and JSON
// use the same names. Every value is kept as text so that a wrong value can be reported
// together with the record's id.
type rawRecord struct {
	ID                scalar       `json:"service_request_id" xml:"service_request_id"`
	Status            string       `json:"status" xml:"status"`
	StatusNotes       string       `json:"status_notes" xml:"status_notes"`
	ServiceName       string       `json:"service_name" xml:"service_name"`
	ServiceCode       scalar       `json:"service_code" xml:"service_code"`
	Description       string       `json:"description" xml:"description"`
	AgencyResponsible string       `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string       `json:"service_notice" xml:"service_notice"`
	Requested         string       `json:"requested_datetime" xml:"requested_datetime"`
	Updated           string       `json:"updated_datetime" xml:"updated_datetime"`
	Expected          string       `json:"expected_datetime" xml:"expected_datetime"`
	Address           string       `json:"address" xml:"address"`
	AddressID         scalar       `json:"address_id" xml:"address_id"`
	Zipcode           scalar       `json:"zipcode" xml:"zipcode"`
	Lat               scalar       `json:"lat" xml:"lat"`
	Long              scalar       `json:"long" xml:"long"`
	MediaURL          string       `json:"media_url" xml:"media_url"`
	Extended          *rawExtended `json:"extended_attributes" xml:"extended_attributes"`

	// Fields of a service list entry.
	Metadata scalar `json:"metadata" xml:"metadata"`
	Type     string `json:"type" xml:"type"`
	Keywords string `json:"keywords" xml:"keywords"`
	Group    string `json:"group" xml:"group"`

	// Code is the code of an Open311 error list entry, so that a saved error response is
	// recognized as one.
	Code scalar `json:"code" xml:"code"`
}

// rawExtended is the Helsinki extended_attributes object.
type rawExtended struct {
	Title             string    `json:"title" xml:"title"`
	DetailedStatus    string    `json:"detailed_status" xml:"detailed_status"`
	MediaURLs         []string  `json:"media_urls" xml:"media_urls>media_url"`
	ServiceObjectID   string    `json:"service_object_id" xml:"service_object_id"`
	ServiceObjectType string    `json:"service_object_type" xml:"service_object_type"`
	Tasks             []rawTask `json:"tasks" xml:"tasks>task"`
}

// rawTask is one entry of Helsinki's tasks list.
type rawTask struct {
	State     string `json:"task_state" xml:"task_state"`
	Type      string `json:"task_type" xml:"task_type"`
	OwnerName string `json:"owner_name" xml:"owner_name"`
	Created   string `json:"task_created" xml:"task_created"`
	Modified  string `json:"task_modified" xml:"task_modified"`
}

// scalar is a value that JSON may give as a string or as a bare literal. Files give lat and
// long as numbers or numeric strings, ids and codes now and then as numbers, and metadata
// as a boolean or a string. A scalar keeps the literal's text, so that 015 stays 015. It
// also keeps the JSON kind of the value, so that the record's checks can name a value of the
// wrong kind and still report the record by its id. JSON null is absent, and XML gives every
// value as text.
type scalar struct {
	text string
	kind jsonKind
}

// jsonKind is the kind of a JSON value. Values read from XML have kindText.
type jsonKind byte

const (
	kindText jsonKind = iota
	kindNumber
	kindBoolean
	kindObject
	kindList
)

func (k jsonKind) String() string {
	switch k {
	case kindNumber:
		return "number"
	case kindBoolean:
		return "boolean"
	case kindObject:
		return "object"
	case kindList:
		return "list"
	}
	return "string"
}

func (s *scalar) UnmarshalJSON(data []byte) error {
	*s = scalar{}
	switch {
	case len(data) == 0 || bytes.Equal(data, []byte("null")):
	case data[0] == '"':
		if bytes.IndexByte(data, '\\') < 0 {
			s.text = string(data[1 : len(data)-1])
			return nil
		}
		return json.Unmarshal(data, &s.text)
	case data[0] == '{':
		s.kind = kindObject
	case data[0] == '[':
		s.kind = kindList
	case data[0] == 't' || data[0] == 'f':
		s.text, s.kind = string(data), kindBoolean
	default:
		s.text, s.kind = string(data), kindNumber
	}
	return nil
}

// UnmarshalText reads the text of an XML element.
func (s *scalar) UnmarshalText(text []byte) error {
	*s = scalar{text: string(text)}
	return nil
}

// present reports whether the value is given: a non-empty text, or an object or a list.
func (s scalar) present() bool { return s.text != "" || s.kind == kindObject || s.kind == kindList }

// identify returns the kind of list the record belongs to, or Unknown when none of its
// fields identifies one.
func (r *rawRecord) identify() Kind {
	switch {
	case r.ID.present() || r.Requested != "" || r.Updated != "" || r.Status != "" || r.Extended != nil:
		return Requests
	case r.ServiceCode.present() || r.ServiceName != "" || r.Metadata.present() || r.Type != "" || r.Keywords != "" || r.Group != "":
		return Services
	}
	return Unknown
}

// isErrorEntry reports whether the record is an entry of an Open311 error list, such as
// {"code": 404, "description": "…"}.
func (r *rawRecord) isErrorEntry() bool {
	return r.Code.present() && r.identify() == Unknown
}

// errorEntry returns the code and description of an error list entry for a message.
func (r *rawRecord) errorEntry() string {
	return strconv.Quote(r.Code.text + " " + r.Description)
}
