package georeport

import (
	"strings"
	"time"
)

// Status is the Open311 status of a request.
type Status string

// The two statuses of the standard.
const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// Detailed statuses of the Helsinki extension. A request's detailed status is a
// comma-separated list of them, such as "IN_PROCESS,PUBLIC_WORKS_NEW".
const (
	DetailedReceived  = "RECEIVED"
	DetailedInProcess = "IN_PROCESS"
	DetailedProcessed = "PROCESSED"
	DetailedArchived  = "ARCHIVED"
	DetailedRejected  = "REJECTED"
)

// StatusOf returns the status that agrees with a detailed status list: open when its first
// main value is RECEIVED or IN_PROCESS, closed when it is PROCESSED, ARCHIVED or REJECTED,
// and fallback when it has no main value.
func StatusOf(detailed string, fallback Status) Status {
	for _, part := range strings.Split(detailed, ",") {
		switch strings.TrimSpace(part) {
		case DetailedReceived, DetailedInProcess:
			return StatusOpen
		case DetailedProcessed, DetailedArchived, DetailedRejected:
			return StatusClosed
		}
	}
	return fallback
}

// Visibility says whether a request appears in public lists. Requests filed under
// pre-moderation stay hidden until staff publish them.
type Visibility string

// The visibilities.
const (
	Public Visibility = "public"
	Hidden Visibility = "hidden"
)

// Point is a position in WGS 84 degrees.
type Point struct {
	Lat  float64
	Long float64
}

// Request is a service request. An empty string or a zero time means the value is absent.
type Request struct {
	ID           string // service_request_id
	Jurisdiction string // empty when the store serves one jurisdiction
	// Token is the batch token the request was filed under, a UUID; empty for realtime services.
	Token       string
	ServiceCode string
	// ServiceName is the name stored with an imported request. Responses show the catalog's
	// localized name instead whenever the catalog has the service.
	ServiceName       string
	Status            Status
	StatusNotes       string
	Description       string
	AgencyResponsible string
	ServiceNotice     string
	Requested         time.Time
	Updated           time.Time
	Expected          time.Time
	Address           string
	AddressID         string
	Zipcode           string
	Location          *Point
	MediaURL          string

	// Helsinki extended attributes.
	Title             string
	DetailedStatus    string // comma-separated list
	MediaURLs         []string
	ServiceObjectID   string
	ServiceObjectType string
	Tasks             []Task

	// Attributes are the values sent for the service definition's attributes, in the order
	// of the definition. They are stored, not returned by the standard's GET.
	Attributes []AttributeValue
	Visibility Visibility
	// Reporter holds personal data that no GET returns and no log or error report contains.
	Reporter Reporter
}

// Task is a step of the city's handling of a request (Helsinki extension).
type Task struct {
	State     string // task_state, e.g. "closed"
	Type      string // task_type, e.g. "wait_for_answer"
	OwnerName string // owner_name
	Created   time.Time
	Modified  time.Time
}

// AttributeValue is the value or values sent for one attribute of a service definition.
type AttributeValue struct {
	Code   string
	Values []string
}

// Reporter is the personal data of the person who filed a request.
type Reporter struct {
	Email     string
	FirstName string
	LastName  string
	Phone     string
	DeviceID  string
	AccountID string
}

// HasDetailedStatus reports whether the request's detailed status list contains s as a whole
// element.
func (r *Request) HasDetailedStatus(s string) bool {
	for _, part := range strings.Split(r.DetailedStatus, ",") {
		if strings.TrimSpace(part) == s {
			return true
		}
	}
	return false
}

// PublicView returns the fields of a hidden request that anyone may read: its id, service,
// filing time and status open. Other requests come back unchanged.
func (r *Request) PublicView() *Request {
	if r.Visibility != Hidden {
		return r
	}
	return &Request{
		ID:           r.ID,
		Jurisdiction: r.Jurisdiction,
		ServiceCode:  r.ServiceCode,
		ServiceName:  r.ServiceName,
		Status:       StatusOpen,
		Requested:    r.Requested,
		Updated:      r.Requested,
		Visibility:   Hidden,
	}
}
