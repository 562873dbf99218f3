package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open311-to-go/open311/georeport"
)

// eet is a zone east of UTC, so that a store that drops the zone instead of converting to
// UTC moves the instant.
var eet = time.FixedZone("EET", 2*60*60)

// fullRequest returns a request with every field set, times with fractions of a second in
// a zone other than UTC, and text that XML and SQL treat specially.
func fullRequest(id, token string) georeport.Request {
	return georeport.Request{
		ID:                id,
		Jurisdiction:      "hel.fi",
		Token:             token,
		ServiceCode:       "Public Works:Pothole",
		ServiceName:       "Katujen kunto",
		Status:            georeport.StatusOpen,
		StatusNotes:       "Odottaa käsittelyä\r\nrivi 2 <&> 'quoted' \"double\"",
		Description:       "Kuoppa 🕳️ tiessä\nСломанный фонарь; DROP TABLE requests; --",
		AgencyResponsible: "Kaupunkiympäristö",
		ServiceNotice:     "Käsitellään 14 päivässä",
		Requested:         time.Date(2024, 3, 5, 10, 15, 30, 123456789, eet),
		Updated:           time.Date(2024, 3, 6, 11, 0, 0, 999999999, eet),
		Expected:          time.Date(2024, 3, 19, 10, 15, 30, 818000000, time.UTC),
		Address:           "Mannerheimintie 1, 00100 Helsinki",
		AddressID:         "001",
		Zipcode:           "00100",
		Location:          &georeport.Point{Lat: 60.169857, Long: 24.938379},
		MediaURL:          "https://media.example.org/a.jpg",
		Title:             "Kuoppa tiessä",
		DetailedStatus:    "IN_PROCESS,PUBLIC_WORKS_NEW",
		MediaURLs:         []string{"https://media.example.org/b.jpg", "https://media.example.org/a.jpg"},
		ServiceObjectID:   "B-17",
		ServiceObjectType: "bench",
		Tasks: []georeport.Task{
			{
				State:     "closed",
				Type:      "wait_for_answer",
				OwnerName: "Katujen kunnossapito",
				Created:   time.Date(2024, 3, 5, 12, 0, 0, 500, eet),
				Modified:  time.Date(2024, 3, 6, 9, 30, 15, 0, time.UTC),
			},
			{State: "open", Type: "field_check"},
		},
		Attributes: []georeport.AttributeValue{
			{Code: "DEPTH", Values: []string{"12.5"}},
			{Code: "KIND", Values: []string{"b", "a"}},
		},
		Visibility: georeport.Public,
		Reporter: georeport.Reporter{
			Email:     "maija@example.org",
			FirstName: "Maija",
			LastName:  "Meikäläinen",
			Phone:     "+358 40 123 4567",
			DeviceID:  "device-1",
			AccountID: "account-1",
		},
	}
}

func (s *suite) testCreateRequest(t *testing.T) {
	ctx := context.Background()

	hidden := fullRequest("hidden", "")
	hidden.Visibility = georeport.Hidden
	origin := fullRequest("origin", "")
	origin.Location = &georeport.Point{}
	antimeridian := fullRequest("antimeridian", "")
	antimeridian.Location = &georeport.Point{Lat: -90, Long: 180}

	tests := []struct {
		name string
		r    georeport.Request
	}{
		{name: "every field", r: fullRequest("sr-1", "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1")},
		{name: "only an id", r: georeport.Request{ID: "sr-2"}},
		{
			name: "no location and no expected time",
			r: georeport.Request{
				ID:        "sr-3",
				Status:    georeport.StatusClosed,
				Requested: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
				Updated:   time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
				Address:   "Aleksanterinkatu 5",
			},
		},
		{name: "hidden", r: hidden},
		{name: "location at 0 0", r: origin},
		{name: "location at a corner of the map", r: antimeridian},
		{name: "empty visibility reads as public", r: georeport.Request{ID: "sr-4", Visibility: ""}},
		{name: "id of opaque characters", r: georeport.Request{ID: "a.b/c?d=e%20 ä"}},
	}
	for _, tc := range tests {
		s.run(t, tc.name, func(t *testing.T) {
			store := s.open(t)
			r := tc.r
			if err := store.CreateRequest(ctx, &r); err != nil {
				t.Fatalf("CreateRequest(%q) error = %v", r.ID, err)
			}

			got := read(t, store, tc.r.ID)
			if diff := cmp.Diff(got, ptr(stored(tc.r)), compareRequests); diff != "" {
				t.Errorf("Request(%q) after CreateRequest (-got +want):\n%s", tc.r.ID, diff)
			}
			checkUTC(t, got)
		})
	}

	s.run(t, "duplicate id", func(t *testing.T) {
		store := s.open(t)
		first := fullRequest("sr-1", "")
		create(t, store, first)

		second := fullRequest("sr-1", "")
		second.Description = "another description"
		err := store.CreateRequest(ctx, &second)
		checkKind(t, `CreateRequest("sr-1") twice`, err, georeport.Conflict)

		got := read(t, store, "sr-1")
		if diff := cmp.Diff(got, ptr(stored(first)), compareRequests); diff != "" {
			t.Errorf("Request(%q) after a conflict (-got +want):\n%s", "sr-1", diff)
		}
	})

	s.run(t, "duplicate token", func(t *testing.T) {
		store := s.open(t)
		const token = "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1"
		create(t, store, fullRequest("sr-1", token))

		second := fullRequest("sr-2", token)
		err := store.CreateRequest(ctx, &second)
		checkKind(t, `CreateRequest("sr-2") with the token of "sr-1"`, err, georeport.Conflict)

		_, err = store.Request(ctx, "sr-2")
		checkKind(t, `Request("sr-2") after a conflict`, err, georeport.NotFound)
		page := find(t, store, georeport.Query{Words: []string{"kuoppa"}, IncludeHidden: true})
		if got, want := ids(page.Requests), []string{"sr-1"}; !cmp.Equal(got, want) {
			t.Errorf("FindRequests after a conflict ids = %v, want %v", got, want)
		}
	})

	s.run(t, "requests without token", func(t *testing.T) {
		store := s.open(t)
		create(t, store, fullRequest("sr-1", ""), fullRequest("sr-2", ""))
	})
}

func (s *suite) testRequest(t *testing.T) {
	ctx := context.Background()

	s.run(t, "not found", func(t *testing.T) {
		store := s.open(t)
		create(t, store, georeport.Request{ID: "sr-1"})

		for _, id := range []string{"sr-2", "SR-1", "sr-1 ", ""} {
			_, err := store.Request(ctx, id)
			checkKind(t, "Request("+quote(id)+")", err, georeport.NotFound)
		}
	})

	s.run(t, "hidden by id", func(t *testing.T) {
		store := s.open(t)
		create(t, store, georeport.Request{ID: "sr-1", Visibility: georeport.Hidden})

		if got := read(t, store, "sr-1"); got.Visibility != georeport.Hidden {
			t.Errorf("Request(%q).Visibility = %q, want %q", "sr-1", got.Visibility, georeport.Hidden)
		}
	})
}

func (s *suite) testRequestIDByToken(t *testing.T) {
	ctx := context.Background()
	const token = "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1"

	store := s.open(t)
	create(t, store, fullRequest("sr-1", token), fullRequest("sr-2", ""))

	s.run(t, "found", func(t *testing.T) {
		got, err := store.RequestIDByToken(ctx, token)
		if err != nil {
			t.Fatalf("RequestIDByToken(%q) error = %v", token, err)
		}
		if got != "sr-1" {
			t.Errorf("RequestIDByToken(%q) = %q, want %q", token, got, "sr-1")
		}
	})

	s.run(t, "not found", func(t *testing.T) {
		for _, tok := range []string{"00000000-0000-4000-8000-000000000000", "", "8F14E45F-CEEA-467F-A0E6-F3D1A2B7C9D1"} {
			_, err := store.RequestIDByToken(ctx, tok)
			checkKind(t, "RequestIDByToken("+quote(tok)+")", err, georeport.NotFound)
		}
	})
}

func (s *suite) testImportRequests(t *testing.T) {
	ctx := context.Background()

	imported := func(id string) georeport.Request {
		r := fullRequest(id, "")
		r.Reporter = georeport.Reporter{}
		r.Attributes = nil
		return r
	}

	s.run(t, "insert", func(t *testing.T) {
		store := s.open(t)
		rs := []georeport.Request{imported("sr-1"), {ID: "sr-2", ServiceCode: ""}}
		if replaced, err := store.ImportRequests(ctx, rs); err != nil || replaced != 0 {
			t.Fatalf("ImportRequests = %d, %v, want 0 replaced, nil", replaced, err)
		}

		for _, want := range rs {
			got := read(t, store, want.ID)
			if diff := cmp.Diff(got, ptr(stored(want)), compareRequests); diff != "" {
				t.Errorf("Request(%q) after ImportRequests (-got +want):\n%s", want.ID, diff)
			}
			checkUTC(t, got)
		}
	})

	s.run(t, "replace keeps private fields", func(t *testing.T) {
		store := s.open(t)
		const token = "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1"
		original := fullRequest("sr-1", token)
		original.Visibility = georeport.Hidden
		create(t, store, original)

		replacement := georeport.Request{
			ID:             "sr-1",
			Jurisdiction:   "espoo.fi",
			ServiceCode:    "172",
			Status:         georeport.StatusClosed,
			Description:    "Korjattu",
			Requested:      original.Requested,
			Updated:        time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC),
			DetailedStatus: "PROCESSED",
			Visibility:     georeport.Public,
		}
		if replaced, err := store.ImportRequests(ctx, []georeport.Request{replacement}); err != nil || replaced != 1 {
			t.Fatalf("ImportRequests = %d, %v, want 1 replaced, nil", replaced, err)
		}

		want := stored(replacement)
		want.Token = original.Token
		want.Reporter = original.Reporter
		want.Attributes = original.Attributes
		want.Visibility = original.Visibility
		got := read(t, store, "sr-1")
		if diff := cmp.Diff(got, &want, compareRequests); diff != "" {
			t.Errorf("Request(%q) after a replacing import (-got +want):\n%s", "sr-1", diff)
		}
		if id, err := store.RequestIDByToken(ctx, token); err != nil || id != "sr-1" {
			t.Errorf("RequestIDByToken(%q) = %q, %v, want %q, nil", token, id, err, "sr-1")
		}
	})

	s.run(t, "replace updates queries", func(t *testing.T) {
		store := s.open(t)
		original := imported("sr-1")
		create(t, store, original)

		moved := imported("sr-1")
		moved.Location = &georeport.Point{Lat: 61.4978, Long: 23.7610}
		moved.Title = "Roskis"
		moved.Description = "Täynnä"
		moved.Address = ""
		moved.AgencyResponsible = "Tampere"
		moved.ServiceCode = "172"
		moved.Status = georeport.StatusClosed
		moved.DetailedStatus = "PROCESSED"
		if _, err := store.ImportRequests(ctx, []georeport.Request{moved}); err != nil {
			t.Fatalf("ImportRequests error = %v", err)
		}

		helsinki := &georeport.Circle{Center: *original.Location, Radius: 1000}
		tampere := &georeport.Circle{Center: *moved.Location, Radius: 1000}
		tests := []struct {
			name string
			q    georeport.Query
			want []string
		}{
			{name: "old location", q: georeport.Query{Circle: helsinki}, want: []string{}},
			{name: "new location", q: georeport.Query{Circle: tampere}, want: []string{"sr-1"}},
			{name: "old box", q: georeport.Query{BBox: &georeport.BBox{MinLong: 24.9, MinLat: 60.1, MaxLong: 25, MaxLat: 60.2}}, want: []string{}},
			{name: "old word", q: georeport.Query{Words: []string{"kuoppa"}}, want: []string{}},
			{name: "new word", q: georeport.Query{Words: []string{"täynnä"}}, want: []string{"sr-1"}},
			{name: "old agency", q: georeport.Query{Agency: "Kaupunkiympäristö"}, want: []string{}},
			{name: "new agency", q: georeport.Query{Agency: "tampere"}, want: []string{"sr-1"}},
			{name: "old service code", q: georeport.Query{ServiceCodes: []string{"Public Works:Pothole"}}, want: []string{}},
			{name: "new service code and status", q: georeport.Query{ServiceCodes: []string{"172"}, Statuses: []georeport.Status{georeport.StatusClosed}}, want: []string{"sr-1"}},
			{name: "old detailed status", q: georeport.Query{DetailedStatuses: []string{"IN_PROCESS"}}, want: []string{}},
		}
		for _, tc := range tests {
			page := find(t, store, tc.q)
			if got := ids(page.Requests); !cmp.Equal(got, tc.want) {
				t.Errorf("%s: FindRequests(%v) ids = %v, want %v", tc.name, tc.q, got, tc.want)
			}
			if page.Total != len(tc.want) {
				t.Errorf("%s: FindRequests(%v).Total = %d, want %d", tc.name, tc.q, page.Total, len(tc.want))
			}
		}
	})

	s.run(t, "idempotent", func(t *testing.T) {
		store := s.open(t)
		batch := fixture()
		if replaced, err := store.ImportRequests(ctx, batch); err != nil || replaced != 0 {
			t.Fatalf("ImportRequests = %d, %v, want 0 replaced, nil", replaced, err)
		}
		first := snapshot(t, store, batch)

		if replaced, err := store.ImportRequests(ctx, batch); err != nil || replaced != len(batch) {
			t.Fatalf("ImportRequests a second time = %d, %v, want %d replaced, nil", replaced, err, len(batch))
		}
		second := snapshot(t, store, batch)

		if diff := cmp.Diff(second, first, compareRequests); diff != "" {
			t.Errorf("store after importing the same requests twice (-second +first):\n%s", diff)
		}
	})

	s.run(t, "later duplicate wins", func(t *testing.T) {
		store := s.open(t)
		earlier := imported("sr-1")
		later := imported("sr-1")
		later.Description = "later"
		if replaced, err := store.ImportRequests(ctx, []georeport.Request{earlier, later}); err != nil || replaced != 1 {
			t.Fatalf("ImportRequests = %d, %v, want 1 replaced, nil", replaced, err)
		}

		if got := read(t, store, "sr-1"); got.Description != "later" {
			t.Errorf("Request(%q).Description = %q, want %q", "sr-1", got.Description, "later")
		}
		if page := find(t, store, georeport.Query{}); page.Total != 1 {
			t.Errorf("FindRequests({}).Total = %d, want 1", page.Total)
		}
		if page := find(t, store, georeport.Query{Words: []string{"later"}}); page.Total != 1 {
			t.Errorf("FindRequests(words later).Total = %d, want 1", page.Total)
		}
	})

	s.run(t, "replaced count", func(t *testing.T) {
		store := s.open(t)
		create(t, store, imported("sr-1"))
		// sr-1 replaces the stored request, and the second sr-2 replaces the first. sr-2 and
		// sr-3 are new.
		batch := []georeport.Request{imported("sr-2"), imported("sr-1"), imported("sr-3"), imported("sr-2")}
		if replaced, err := store.ImportRequests(ctx, batch); err != nil || replaced != 2 {
			t.Fatalf("ImportRequests = %d, %v, want 2 replaced, nil", replaced, err)
		}
		if page := find(t, store, georeport.Query{}); page.Total != 3 {
			t.Errorf("FindRequests({}).Total = %d, want 3", page.Total)
		}
		// Both stores count their requests for the summaries of seed and import.
		counter, ok := store.(interface {
			CountRequests(context.Context) (int, error)
		})
		if !ok {
			t.Fatalf("%T has no CountRequests method", store)
		}
		if n, err := counter.CountRequests(ctx); err != nil || n != 3 {
			t.Errorf("CountRequests = %d, %v, want 3, nil", n, err)
		}
	})

	s.run(t, "empty batch", func(t *testing.T) {
		store := s.open(t)
		if _, err := store.ImportRequests(ctx, nil); err != nil {
			t.Errorf("ImportRequests(nil) error = %v, want nil", err)
		}
	})
}

// storeSnapshot is the state of a store as its read methods show it for a set of
// requests: each by id, and the list queries over them.
type storeSnapshot struct {
	ByID  map[string]*georeport.Request
	All   *georeport.Page
	Words map[string]*georeport.Page
}

// snapshot reads the requests by id, lists all of them, and searches each word of their
// text, so that a duplicated index entry shows as a count or a result.
func snapshot(t *testing.T, store georeport.Store, rs []georeport.Request) storeSnapshot {
	t.Helper()

	snap := storeSnapshot{
		ByID:  make(map[string]*georeport.Request),
		All:   find(t, store, georeport.Query{IncludeHidden: true}),
		Words: make(map[string]*georeport.Page),
	}
	for _, r := range rs {
		snap.ByID[r.ID] = read(t, store, r.ID)
		for _, w := range georeport.SearchWords(r.Title + " " + r.Description) {
			snap.Words[w] = find(t, store, georeport.Query{Words: []string{w}, IncludeHidden: true})
		}
	}
	return snap
}

func ptr[T any](v T) *T { return &v }

// quote returns s in Go's double-quoted form, for messages that name a call.
func quote(s string) string {
	return fmt.Sprintf("%q", s)
}
