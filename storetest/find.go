package storetest

import (
	cmpfunc "cmp"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open311-to-go/open311/georeport"
)

// t0 is the newest filing time of the fixture.
var t0 = time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)

// Locations of the fixture.
var (
	helsinki     = georeport.Point{Lat: 60.1699, Long: 24.9384}
	esplanadi    = georeport.Point{Lat: 60.1710, Long: 24.9410} // about 190 m from helsinki
	kallio       = georeport.Point{Lat: 60.2000, Long: 24.9000} // about 3.8 km from helsinki
	espoo        = georeport.Point{Lat: 60.2055, Long: 24.6559}
	fijiWest     = georeport.Point{Lat: -17, Long: 179.999}  // west of the antimeridian
	fijiEast     = georeport.Point{Lat: -17, Long: -179.999} // east of it, about 210 m from fijiWest
	fijiFar      = georeport.Point{Lat: -17, Long: 179.5}
	northPole0   = georeport.Point{Lat: 89.99, Long: 0}   // about 1.1 km from the pole
	northPole180 = georeport.Point{Lat: 89.99, Long: 180} // across the pole from northPole0
	northFar     = georeport.Point{Lat: 89.9, Long: 45}   // about 11 km from the pole
	tied         = georeport.Point{Lat: 10, Long: 10}
	undated      = georeport.Point{Lat: 60.25, Long: 24.80}
)

// fixture returns the requests that the FindRequests cases query. hel-5 and hel-1 are filed
// in the same second, so NewestFirst puts the greater id first. hel-4 is hidden. The
// request "undated" has no filing time, so NewestFirst puts it last.
func fixture() []georeport.Request {
	hour := time.Hour
	return []georeport.Request{
		{
			ID: "hel-1", Jurisdiction: "hel.fi", ServiceCode: "171", Status: georeport.StatusOpen,
			Requested: t0, Updated: t0.Add(hour), Location: ptr(helsinki),
			Title: "Töhryjä seinässä", Description: "Graffiti on the wall.", Address: "Mannerheimintie 1",
			AgencyResponsible: "Street Maintenance", DetailedStatus: "RECEIVED",
			ServiceObjectType: "bench", ServiceObjectID: "B-1",
		},
		{
			ID: "hel-2", Jurisdiction: "hel.fi", ServiceCode: "171", Status: georeport.StatusClosed,
			Requested: t0.Add(-24 * hour), Updated: t0.Add(48 * hour), Location: ptr(esplanadi),
			Description: "Pothole in the road", StatusNotes: "Fixed by the crew",
			AgencyResponsible: "Street Maintenance Department", DetailedStatus: "PROCESSED, PUBLIC_WORKS_COMPLETED",
			ServiceObjectType: "bench", ServiceObjectID: "B-2",
		},
		{
			ID: "hel-3", Jurisdiction: "hel.fi", ServiceCode: "172", Status: georeport.StatusOpen,
			Requested: t0.Add(-48 * hour), Updated: t0.Add(-48 * hour), Location: ptr(kallio),
			Description: "Разбитый фонарь", AgencyResponsible: "STREET MAINTENANCE",
			DetailedStatus: "IN_PROCESS,PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER",
		},
		{
			ID: "hel-4", Jurisdiction: "hel.fi", ServiceCode: "171", Status: georeport.StatusOpen,
			Requested: t0.Add(-72 * hour), Updated: t0.Add(-72 * hour), Location: &georeport.Point{Lat: 60.1700, Long: 24.9385},
			Description: "Graffiti again", AgencyResponsible: "Street Maintenance", DetailedStatus: "RECEIVED",
			Visibility: georeport.Hidden,
		},
		{
			ID: "hel-5", Jurisdiction: "hel.fi", ServiceCode: "Public Works:Pothole", Status: georeport.StatusOpen,
			Requested: t0, Updated: t0, Address: "Aleksanterinkatu 5", Description: "Pothole",
		},
		{
			ID: "esp-1", Jurisdiction: "espoo.fi", ServiceCode: "171", Status: georeport.StatusOpen,
			Requested: t0.Add(-hour), Updated: t0.Add(-hour), Location: ptr(espoo),
			Description: "Roskia puistossa", AgencyResponsible: "Kaupunkiympäristö", DetailedStatus: "RECEIVED",
		},
		{ID: "fiji-1", ServiceCode: "999", Status: georeport.StatusOpen, Requested: t0.Add(-120 * hour), Location: ptr(fijiWest)},
		{ID: "fiji-2", ServiceCode: "999", Status: georeport.StatusOpen, Requested: t0.Add(-144 * hour), Location: ptr(fijiEast)},
		{ID: "fiji-3", ServiceCode: "999", Status: georeport.StatusOpen, Requested: t0.Add(-168 * hour), Location: ptr(fijiFar)},
		{ID: "pole-1", ServiceCode: "998", Status: georeport.StatusOpen, Requested: t0.Add(-192 * hour), Location: ptr(northPole0)},
		{ID: "pole-2", ServiceCode: "998", Status: georeport.StatusOpen, Requested: t0.Add(-216 * hour), Location: ptr(northPole180)},
		{ID: "pole-3", ServiceCode: "998", Status: georeport.StatusOpen, Requested: t0.Add(-240 * hour), Location: ptr(northFar)},
		{ID: "tie-a", ServiceCode: "997", Status: georeport.StatusOpen, Requested: t0.Add(-300 * hour), Location: ptr(tied)},
		{ID: "tie-b", ServiceCode: "997", Status: georeport.StatusOpen, Requested: t0.Add(-300 * hour), Location: ptr(tied)},
		{ID: "tie-c", ServiceCode: "997", Status: georeport.StatusOpen, Requested: t0.Add(-299 * hour), Location: ptr(tied)},
		{ID: "undated", ServiceCode: "996", Status: georeport.StatusOpen, Location: ptr(undated)},
	}
}

// allPublic are the public requests of the fixture in NewestFirst order.
var allPublic = []string{
	"hel-5", "hel-1", "esp-1", "hel-2", "hel-3",
	"fiji-1", "fiji-2", "fiji-3", "pole-1", "pole-2", "pole-3", "tie-c", "tie-b", "tie-a", "undated",
}

// allRequests are all requests of the fixture in NewestFirst order.
var allRequests = []string{
	"hel-5", "hel-1", "esp-1", "hel-2", "hel-3", "hel-4",
	"fiji-1", "fiji-2", "fiji-3", "pole-1", "pole-2", "pole-3", "tie-c", "tie-b", "tie-a", "undated",
}

func (s *suite) testFindRequests(t *testing.T) {
	store := s.open(t)
	create(t, store, fixture()...)

	open := []georeport.Status{georeport.StatusOpen}
	closed := []georeport.Status{georeport.StatusClosed}
	second := time.Second
	aroundHelsinki := &georeport.BBox{MinLong: 24.9, MinLat: 60.16, MaxLong: 24.95, MaxLat: 60.21}
	edgeToEdge := &georeport.BBox{MinLong: helsinki.Long, MinLat: helsinki.Lat, MaxLong: esplanadi.Long, MaxLat: esplanadi.Lat}
	justInside := georeport.Distance(esplanadi, helsinki)

	tests := []struct {
		name string
		q    georeport.Query
		want []string
		// total is the count of all matches when it differs from len(want).
		total int
	}{
		{name: "all", q: georeport.Query{}, want: allPublic},
		{name: "include hidden", q: georeport.Query{IncludeHidden: true}, want: allRequests},

		{
			name: "ids ignore other conditions",
			q:    georeport.Query{IDs: []string{"hel-2", "nope", "esp-1"}, ServiceCodes: []string{"999"}, Statuses: open, Words: []string{"nothing"}},
			want: []string{"esp-1", "hel-2"},
		},
		{name: "ids with jurisdiction", q: georeport.Query{IDs: []string{"hel-2", "esp-1"}, Jurisdiction: "hel.fi"}, want: []string{"hel-2"}},
		{name: "ids paged", q: georeport.Query{IDs: []string{"hel-1", "hel-2", "hel-3"}, Offset: 1, Limit: 1}, want: []string{"hel-2"}, total: 3},
		{name: "ids unknown", q: georeport.Query{IDs: []string{"nope", "HEL-1"}}, want: []string{}},
		{name: "ids hidden", q: georeport.Query{IDs: []string{"hel-4", "hel-1"}}, want: []string{"hel-1"}},
		{name: "ids include hidden", q: georeport.Query{IDs: []string{"hel-4", "hel-1"}, IncludeHidden: true}, want: []string{"hel-1", "hel-4"}},
		{name: "ids repeated", q: georeport.Query{IDs: []string{"hel-1", "hel-1"}}, want: []string{"hel-1"}},

		{name: "jurisdiction", q: georeport.Query{Jurisdiction: "espoo.fi"}, want: []string{"esp-1"}},
		{name: "jurisdiction with several", q: georeport.Query{Jurisdiction: "hel.fi"}, want: []string{"hel-5", "hel-1", "hel-2", "hel-3"}},
		{name: "jurisdiction unknown", q: georeport.Query{Jurisdiction: "tampere.fi"}, want: []string{}},

		{name: "service code", q: georeport.Query{ServiceCodes: []string{"171"}}, want: []string{"hel-1", "esp-1", "hel-2"}},
		{name: "service code with colon and space", q: georeport.Query{ServiceCodes: []string{"Public Works:Pothole"}}, want: []string{"hel-5"}},
		{name: "service code prefix", q: georeport.Query{ServiceCodes: []string{"17"}}, want: []string{}},
		{name: "service code case", q: georeport.Query{ServiceCodes: []string{"public works:pothole"}}, want: []string{}},
		{name: "service codes", q: georeport.Query{ServiceCodes: []string{"171", "172"}}, want: []string{"hel-1", "esp-1", "hel-2", "hel-3"}},
		{name: "service code and status open", q: georeport.Query{ServiceCodes: []string{"171"}, Statuses: open}, want: []string{"hel-1", "esp-1"}},
		{name: "service code and status closed", q: georeport.Query{ServiceCodes: []string{"171"}, Statuses: closed}, want: []string{"hel-2"}},
		{name: "status closed", q: georeport.Query{Statuses: closed}, want: []string{"hel-2"}},
		{name: "statuses both", q: georeport.Query{Statuses: []georeport.Status{georeport.StatusOpen, georeport.StatusClosed}}, want: allPublic},

		{name: "requested in one second", q: georeport.Query{RequestedFrom: t0, RequestedTo: t0}, want: []string{"hel-5", "hel-1"}},
		{name: "requested bounds to the second", q: georeport.Query{RequestedFrom: t0.Add(500 * time.Millisecond), RequestedTo: t0.Add(999 * time.Millisecond)}, want: []string{"hel-5", "hel-1"}},
		{name: "requested from after", q: georeport.Query{RequestedFrom: t0.Add(second)}, want: []string{}},
		{name: "requested to before", q: georeport.Query{RequestedFrom: t0.Add(-time.Hour), RequestedTo: t0.Add(-second)}, want: []string{"esp-1"}},
		{name: "requested to inclusive", q: georeport.Query{RequestedTo: t0.Add(-48 * time.Hour)}, want: []string{"hel-3", "fiji-1", "fiji-2", "fiji-3", "pole-1", "pole-2", "pole-3", "tie-c", "tie-b", "tie-a"}},
		{name: "requested window skips no filing time", q: georeport.Query{ServiceCodes: []string{"996"}, RequestedFrom: time.Unix(0, 0)}, want: []string{}},
		{name: "requested in another zone", q: georeport.Query{RequestedFrom: t0.In(eet), RequestedTo: t0.In(eet)}, want: []string{"hel-5", "hel-1"}},
		{name: "updated from", q: georeport.Query{UpdatedFrom: t0}, want: []string{"hel-5", "hel-1", "hel-2"}},
		{name: "updated from inclusive", q: georeport.Query{UpdatedFrom: t0.Add(time.Hour)}, want: []string{"hel-1", "hel-2"}},
		{name: "updated from a second later", q: georeport.Query{UpdatedFrom: t0.Add(time.Hour + second)}, want: []string{"hel-2"}},
		{name: "updated to inclusive", q: georeport.Query{UpdatedFrom: t0, UpdatedTo: t0.Add(time.Hour)}, want: []string{"hel-5", "hel-1"}},
		{name: "updated to a second earlier", q: georeport.Query{UpdatedFrom: t0, UpdatedTo: t0.Add(time.Hour - second)}, want: []string{"hel-5"}},

		{name: "bbox", q: georeport.Query{BBox: aroundHelsinki}, want: []string{"hel-1", "hel-2", "hel-3"}},
		{name: "bbox edges inclusive", q: georeport.Query{BBox: edgeToEdge}, want: []string{"hel-1", "hel-2"}},
		{
			name: "bbox edge just past a point",
			q: georeport.Query{BBox: &georeport.BBox{
				MinLong: math.Nextafter(helsinki.Long, 180), MinLat: helsinki.Lat,
				MaxLong: esplanadi.Long, MaxLat: math.Nextafter(esplanadi.Lat, -90),
			}},
			want: []string{},
		},
		{name: "bbox degenerate to a point", q: georeport.Query{BBox: &georeport.BBox{MinLong: espoo.Long, MinLat: espoo.Lat, MaxLong: espoo.Long, MaxLat: espoo.Lat}}, want: []string{"esp-1"}},
		{name: "bbox empty sea", q: georeport.Query{BBox: &georeport.BBox{MinLong: -40, MinLat: 0, MaxLong: -30, MaxLat: 10}}, want: []string{}},
		{name: "bbox whole world", q: georeport.Query{BBox: &georeport.BBox{MinLong: -180, MinLat: -90, MaxLong: 180, MaxLat: 90}}, want: []string{"hel-1", "esp-1", "hel-2", "hel-3", "fiji-1", "fiji-2", "fiji-3", "pole-1", "pole-2", "pole-3", "tie-c", "tie-b", "tie-a", "undated"}},
		{name: "bbox without filing time", q: georeport.Query{BBox: &georeport.BBox{MinLong: 24.7, MinLat: 60.24, MaxLong: 24.9, MaxLat: 60.26}}, want: []string{"undated"}},
		{name: "bbox with dates skips no filing time", q: georeport.Query{BBox: &georeport.BBox{MinLong: 24.7, MinLat: 60.24, MaxLong: 24.9, MaxLat: 60.26}, RequestedTo: t0}, want: []string{}},
		{name: "bbox from 1970 skips no filing time", q: georeport.Query{BBox: &georeport.BBox{MinLong: 24.7, MinLat: 60.24, MaxLong: 24.9, MaxLat: 60.26}, RequestedFrom: time.Unix(0, 0)}, want: []string{}},
		{name: "bbox and service code and status", q: georeport.Query{BBox: aroundHelsinki, ServiceCodes: []string{"171"}, Statuses: open}, want: []string{"hel-1"}},
		{name: "bbox and dates", q: georeport.Query{BBox: aroundHelsinki, RequestedFrom: t0.Add(-30 * time.Hour), RequestedTo: t0}, want: []string{"hel-1", "hel-2"}},

		{name: "circle newest first", q: georeport.Query{Circle: &georeport.Circle{Center: esplanadi, Radius: 1000}}, want: []string{"hel-1", "hel-2"}},
		{name: "circle nearest first", q: georeport.Query{Circle: &georeport.Circle{Center: esplanadi, Radius: 1000}, Order: georeport.NearestFirst}, want: []string{"hel-2", "hel-1"}},
		{name: "circle radius reaches a point", q: georeport.Query{Circle: &georeport.Circle{Center: esplanadi, Radius: justInside}, Order: georeport.NearestFirst}, want: []string{"hel-2", "hel-1"}},
		{name: "circle radius short of a point", q: georeport.Query{Circle: &georeport.Circle{Center: esplanadi, Radius: math.Nextafter(justInside, 0)}, Order: georeport.NearestFirst}, want: []string{"hel-2"}},
		{name: "circle include hidden", q: georeport.Query{Circle: &georeport.Circle{Center: helsinki, Radius: 100}, IncludeHidden: true, Order: georeport.NearestFirst}, want: []string{"hel-1", "hel-4"}},
		{name: "circle 5 km", q: georeport.Query{Circle: &georeport.Circle{Center: helsinki, Radius: 5000}}, want: []string{"hel-1", "hel-2", "hel-3"}},
		{name: "circle and service code", q: georeport.Query{Circle: &georeport.Circle{Center: helsinki, Radius: 5000}, ServiceCodes: []string{"172"}}, want: []string{"hel-3"}},
		{name: "circle across the antimeridian from the west", q: georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: -17, Long: 179.9999}, Radius: 500}, Order: georeport.NearestFirst}, want: []string{"fiji-1", "fiji-2"}},
		{name: "circle across the antimeridian from the east", q: georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: -17, Long: -179.9999}, Radius: 500}, Order: georeport.NearestFirst}, want: []string{"fiji-2", "fiji-1"}},
		{name: "circle near a pole", q: georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 89.995, Long: 90}, Radius: 5000}}, want: []string{"pole-1", "pole-2"}},
		{name: "circle on a pole", q: georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 90, Long: 0}, Radius: 2000}, Order: georeport.NearestFirst}, want: []string{"pole-1", "pole-2"}},
		{name: "circle nearest first ties", q: georeport.Query{Circle: &georeport.Circle{Center: tied, Radius: 10}, Order: georeport.NearestFirst}, want: []string{"tie-c", "tie-b", "tie-a"}},
		{name: "circle and dates", q: georeport.Query{Circle: &georeport.Circle{Center: helsinki, Radius: 5000}, RequestedFrom: t0.Add(-47 * time.Hour), RequestedTo: t0.Add(-time.Second)}, want: []string{"hel-2"}},
		{name: "circle and dates inclusive", q: georeport.Query{Circle: &georeport.Circle{Center: helsinki, Radius: 5000}, RequestedFrom: t0.Add(-48 * time.Hour), RequestedTo: t0}, want: []string{"hel-1", "hel-2", "hel-3"}},
		{name: "circle without filing time", q: georeport.Query{Circle: &georeport.Circle{Center: undated, Radius: 1}}, want: []string{"undated"}},
		{name: "circle and bbox", q: georeport.Query{Circle: &georeport.Circle{Center: helsinki, Radius: 5000}, BBox: &georeport.BBox{MinLong: 24.92, MinLat: 60.16, MaxLong: 24.95, MaxLat: 60.18}}, want: []string{"hel-1", "hel-2"}},
		{name: "circle empty", q: georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 0, Long: 0}, Radius: 100000}}, want: []string{}},

		{name: "service object", q: georeport.Query{ServiceObjectType: "bench", ServiceObjectID: "B-1"}, want: []string{"hel-1"}},
		{name: "service object of another type", q: georeport.Query{ServiceObjectType: "lamp", ServiceObjectID: "B-1"}, want: []string{}},
		{name: "service object of another id", q: georeport.Query{ServiceObjectType: "bench", ServiceObjectID: "B-3"}, want: []string{}},

		{name: "words accent insensitive", q: georeport.Query{Words: []string{"tohryja"}}, want: []string{"hel-1"}},
		{name: "words case insensitive", q: georeport.Query{Words: []string{"TÖHRYJÄ"}}, want: []string{"hel-1"}},
		{name: "words prefix", q: georeport.Query{Words: []string{"tohry"}}, want: []string{}},
		{name: "words prefix operator", q: georeport.Query{Words: []string{"pot*"}}, want: []string{}},
		{name: "words all required", q: georeport.Query{Words: []string{"graffiti", "wall"}}, want: []string{"hel-1"}},
		{name: "words one missing", q: georeport.Query{Words: []string{"graffiti", "pothole"}}, want: []string{}},
		{name: "words or is a word", q: georeport.Query{Words: []string{"graffiti", "OR", "pothole"}}, want: []string{}},
		{name: "words query syntax", q: georeport.Query{Words: []string{`NEAR("graffiti" wall)`}}, want: []string{}},
		{name: "words quote", q: georeport.Query{Words: []string{`"wall`}}, want: []string{"hel-1"}},
		{name: "words punctuation", q: georeport.Query{Words: []string{"wall."}}, want: []string{"hel-1"}},
		{name: "words in title and address", q: georeport.Query{Words: []string{"seinässä", "mannerheimintie"}}, want: []string{"hel-1"}},
		{name: "words in agency", q: georeport.Query{Words: []string{"maintenance"}}, want: []string{"hel-1", "hel-2", "hel-3"}},
		{name: "words cyrillic", q: georeport.Query{Words: []string{"ФОНАРЬ"}}, want: []string{"hel-3"}},
		{name: "words not in status notes", q: georeport.Query{Words: []string{"crew"}}, want: []string{}},
		{name: "words hidden", q: georeport.Query{Words: []string{"graffiti"}}, want: []string{"hel-1"}},
		{name: "words include hidden", q: georeport.Query{Words: []string{"graffiti"}, IncludeHidden: true}, want: []string{"hel-1", "hel-4"}},
		{name: "words only punctuation", q: georeport.Query{Words: []string{"!!!"}, Jurisdiction: "espoo.fi"}, want: []string{"esp-1"}},

		{name: "agency case insensitive", q: georeport.Query{Agency: "STREET MAINTENANCE"}, want: []string{"hel-1", "hel-3"}},
		{name: "agency not a prefix", q: georeport.Query{Agency: "Street"}, want: []string{}},
		{name: "agency longer", q: georeport.Query{Agency: "street maintenance department"}, want: []string{"hel-2"}},
		{name: "agency unicode case", q: georeport.Query{Agency: "KAUPUNKIYMPÄRISTÖ"}, want: []string{"esp-1"}},
		{name: "agency accents count", q: georeport.Query{Agency: "Kaupunkiymparisto"}, want: []string{}},

		{name: "detailed status whole element", q: georeport.Query{DetailedStatuses: []string{"PUBLIC_WORKS_COMPLETED"}}, want: []string{"hel-2"}},
		{name: "detailed status longer element", q: georeport.Query{DetailedStatuses: []string{"PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER"}}, want: []string{"hel-3"}},
		{name: "detailed status any of", q: georeport.Query{DetailedStatuses: []string{"RECEIVED", "IN_PROCESS"}}, want: []string{"hel-1", "esp-1", "hel-3"}},
		{name: "detailed status part of an element", q: georeport.Query{DetailedStatuses: []string{"PUBLIC_WORKS"}}, want: []string{}},
		{name: "detailed status case", q: georeport.Query{DetailedStatuses: []string{"received"}}, want: []string{}},
		{name: "detailed status wildcard", q: georeport.Query{DetailedStatuses: []string{"PUBLIC_WORKS_COMPLETE_"}}, want: []string{}},
		{name: "detailed status and jurisdiction", q: georeport.Query{DetailedStatuses: []string{"RECEIVED"}, Jurisdiction: "hel.fi"}, want: []string{"hel-1"}},
	}
	for _, tc := range tests {
		s.run(t, tc.name, func(t *testing.T) {
			page := find(t, store, tc.q)
			if got := ids(page.Requests); !cmp.Equal(got, tc.want) {
				t.Errorf("FindRequests(%v) ids = %v, want %v", describe(tc.q), got, tc.want)
			}
			total := tc.total
			if total == 0 {
				total = len(tc.want)
			}
			if page.Total != total {
				t.Errorf("FindRequests(%v).Total = %d, want %d", describe(tc.q), page.Total, total)
			}
			checkDistances(t, tc.q, page)
		})
	}

	s.run(t, "full requests", func(t *testing.T) {
		want := make(map[string]georeport.Request)
		for _, r := range fixture() {
			want[r.ID] = stored(r)
		}
		page := find(t, store, georeport.Query{IncludeHidden: true})
		for _, got := range page.Requests {
			if diff := cmp.Diff(*got, want[got.ID], compareRequests); diff != "" {
				t.Errorf("FindRequests request %q (-got +want):\n%s", got.ID, diff)
			}
			checkUTC(t, got)
		}
	})
}

// checkDistances checks that a page has a distance for each request, as georeport.Distance
// measures it from the circle's centre, and none without a circle.
func checkDistances(t *testing.T, q georeport.Query, page *georeport.Page) {
	t.Helper()

	if q.Circle == nil || len(q.IDs) > 0 {
		if page.Distances != nil {
			t.Errorf("FindRequests(%v).Distances = %v, want nil without a circle", describe(q), page.Distances)
		}
		return
	}
	if len(page.Distances) != len(page.Requests) {
		t.Fatalf("FindRequests(%v) has %d distances for %d requests", describe(q), len(page.Distances), len(page.Requests))
	}
	for i, r := range page.Requests {
		want := georeport.Distance(q.Circle.Center, *r.Location)
		if page.Distances[i] != want {
			t.Errorf("FindRequests(%v) distance of %q = %v, want %v", describe(q), r.ID, page.Distances[i], want)
		}
		if page.Distances[i] > q.Circle.Radius {
			t.Errorf("FindRequests(%v) distance of %q = %v, more than the radius", describe(q), r.ID, page.Distances[i])
		}
	}
}

func (s *suite) testPaging(t *testing.T) {
	store := s.open(t)
	create(t, store, fixture()...)

	queries := []struct {
		name string
		q    georeport.Query
		want []string
	}{
		{name: "newest first", q: georeport.Query{IncludeHidden: true}, want: allRequests},
		{
			name: "nearest first",
			q:    georeport.Query{Circle: &georeport.Circle{Center: tied, Radius: 20_000_000}, Order: georeport.NearestFirst},
			want: nearestFirst(tied),
		},
	}
	for _, tc := range queries {
		s.run(t, tc.name, func(t *testing.T) {
			for _, limit := range []int{1, 2, 4, 100} {
				var got []string
				for offset := 0; offset < len(tc.want)+limit; offset += limit {
					q := tc.q
					q.Offset, q.Limit = offset, limit
					page := find(t, store, q)
					if page.Total != len(tc.want) {
						t.Errorf("FindRequests(%v).Total = %d, want %d", describe(q), page.Total, len(tc.want))
					}
					if len(page.Requests) > limit {
						t.Errorf("FindRequests(%v) returned %d requests, more than the limit", describe(q), len(page.Requests))
					}
					got = append(got, ids(page.Requests)...)
				}
				if !cmp.Equal(got, tc.want) {
					t.Errorf("pages of %d ids = %v, want %v", limit, got, tc.want)
				}
			}
		})
	}

	s.run(t, "offset past the end", func(t *testing.T) {
		q := georeport.Query{Offset: 1000, Limit: 10}
		page := find(t, store, q)
		if len(page.Requests) != 0 {
			t.Errorf("FindRequests(%v) ids = %v, want none", describe(q), ids(page.Requests))
		}
		if page.Total != len(allPublic) {
			t.Errorf("FindRequests(%v).Total = %d, want %d", describe(q), page.Total, len(allPublic))
		}
	})

	s.run(t, "no limit", func(t *testing.T) {
		q := georeport.Query{Offset: 2}
		page := find(t, store, q)
		if got, want := ids(page.Requests), allPublic[2:]; !cmp.Equal(got, want) {
			t.Errorf("FindRequests(%v) ids = %v, want %v", describe(q), got, want)
		}
		if page.Total != len(allPublic) {
			t.Errorf("FindRequests(%v).Total = %d, want %d", describe(q), page.Total, len(allPublic))
		}
	})
}

// nearestFirst returns the ids of the fixture's public requests with a location, ordered
// by distance from center, then newest first.
func nearestFirst(center georeport.Point) []string {
	var located []*georeport.Request
	for _, r := range fixture() {
		if r.Location != nil && r.Visibility != georeport.Hidden {
			located = append(located, &r)
		}
	}
	slices.SortFunc(located, func(a, b *georeport.Request) int {
		da, db := georeport.Distance(center, *a.Location), georeport.Distance(center, *b.Location)
		if c := cmpfunc.Compare(da, db); c != 0 {
			return c
		}
		if c := b.Requested.Compare(a.Requested); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return ids(located)
}

// testStandardFields reads a request with every field through lists with and without
// StandardFields, each several times, so that a store's cache holds both kinds of copy. A
// list with the flag must return the standard fields as stored, and may leave out the rest.
// A list without it must return every field, whatever the store read before.
func (s *suite) testStandardFields(t *testing.T) {
	store := s.open(t)
	r := fullRequest("sr-standard", "5a1c0b8e-9d2f-4c3e-8b7a-6f5e4d3c2b1a")
	r.Requested = time.Now().UTC().Add(-time.Hour)
	create(t, store, r)
	want := stored(r)

	queries := map[string]georeport.Query{
		"window": {RequestedFrom: r.Requested.Add(-time.Hour), RequestedTo: r.Requested.Add(time.Hour)},
		"ids":    {IDs: []string{r.ID}},
	}
	for name, q := range queries {
		for range 3 {
			standard := q
			standard.StandardFields = true
			page := find(t, store, standard)
			if len(page.Requests) != 1 {
				t.Fatalf("%s with StandardFields found %d requests, want 1", name, len(page.Requests))
			}
			got := StandardFields(*page.Requests[0])
			if diff := cmp.Diff(StandardFields(want), got, compareRequests); diff != "" {
				t.Errorf("%s with StandardFields: standard fields differ (-want +got):\n%s", name, diff)
			}
		}
		for range 3 {
			page := find(t, store, q)
			if len(page.Requests) != 1 {
				t.Fatalf("%s found %d requests, want 1", name, len(page.Requests))
			}
			if diff := cmp.Diff(&want, page.Requests[0], compareRequests); diff != "" {
				t.Errorf("%s without StandardFields (-want +got):\n%s", name, diff)
			}
		}
	}
}

// StandardFields returns r with only the fields that a list without extensions shows, and
// the visibility: what a store returns for a query with StandardFields.
func StandardFields(r georeport.Request) georeport.Request {
	return georeport.Request{
		ID: r.ID, Jurisdiction: r.Jurisdiction, ServiceCode: r.ServiceCode, ServiceName: r.ServiceName,
		Status: r.Status, StatusNotes: r.StatusNotes, Description: r.Description,
		AgencyResponsible: r.AgencyResponsible, ServiceNotice: r.ServiceNotice,
		Requested: r.Requested, Updated: r.Updated, Expected: r.Expected,
		Address: r.Address, AddressID: r.AddressID, Zipcode: r.Zipcode, Location: r.Location,
		MediaURL: r.MediaURL, Visibility: r.Visibility,
	}
}
