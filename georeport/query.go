package georeport

import "time"

// Query limits.
const (
	MaxPageSize     = 1000    // the standard's limit, and the default page size
	MaxRadius       = 100_000 // metres
	DefaultWindow   = 90 * 24 * time.Hour
	MaxListValues   = 100 // values in one comma list parameter
	MaxSearchWords  = 20
	MaxSearchLength = 500 // characters of q
)

// Order is the order of a request list.
type Order int

// The orders. Both are stable: ties fall back to the next key.
const (
	// NewestFirst sorts by requested_datetime descending, then service_request_id descending.
	NewestFirst Order = iota
	// NearestFirst sorts by distance from the circle centre, then as NewestFirst.
	NearestFirst
)

// Query selects requests. Zero values mean no condition. Time bounds are inclusive.
type Query struct {
	// IDs, when set, selects those requests; the other conditions are then ignored, except
	// Jurisdiction, IncludeHidden and paging.
	IDs []string
	// Jurisdiction limits the query to one jurisdiction; empty means every request.
	Jurisdiction string

	ServiceCodes      []string
	Statuses          []Status
	RequestedFrom     time.Time
	RequestedTo       time.Time
	UpdatedFrom       time.Time
	UpdatedTo         time.Time
	Circle            *Circle
	BBox              *BBox
	ServiceObjectID   string
	ServiceObjectType string
	// Words must all occur as whole words of the title, description, address or agency, as
	// SearchWords normalizes them.
	Words []string
	// Agency matches agency_responsible exactly, ignoring case.
	Agency           string
	DetailedStatuses []string
	// IncludeHidden also returns requests that moderation hides.
	IncludeHidden bool
	// StandardFields lets a store leave out of the requests it returns what a list without
	// extensions never shows: the extended attributes, the attribute values, the reporter
	// and the token. A store may return them anyway.
	StandardFields bool

	Order  Order
	Offset int
	Limit  int
}

// Circle is a circle on the Earth's surface; Radius is in metres.
type Circle struct {
	Center Point
	Radius float64
}

// BBox is a box of longitudes and latitudes, edges included. It does not cross the
// antimeridian.
type BBox struct {
	MinLong, MinLat, MaxLong, MaxLat float64
}

// Contains reports whether the box contains p, edges included.
func (b *BBox) Contains(p Point) bool {
	return p.Long >= b.MinLong && p.Long <= b.MaxLong && p.Lat >= b.MinLat && p.Lat <= b.MaxLat
}
