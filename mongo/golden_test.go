package mongo

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open311-to-go/open311/georeport"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/drivertest"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/xoptions"
)

var update = flag.Bool("update", false, "rewrite the golden files under ../testdata/golden/mongo with the commands that the store sends")

// goldenNow is the clock of the stores in the golden tests.
var goldenNow = time.Date(2026, 3, 5, 8, 15, 30, 0, time.UTC)

// goldenCenter is the centre of the golden circle queries, the Central Railway Station of
// Helsinki.
var goldenCenter = georeport.Point{Lat: 60.1699, Long: 24.9384}

// mockReply is the reply of the mock server to every command. It fits each command the
// store sends: a cursor for find and aggregate, whose one document is also a count (n), a
// request at goldenCenter and a $geoNear result, and n for insert and update. Nothing
// depends on what the server replies, except which commands follow: a page of one request
// is full only for a limit of 1, so only then does FindRequests send a count.
var mockReply = bson.D{
	{Key: "ok", Value: 1},
	{Key: "n", Value: 1},
	{Key: "nModified", Value: 0},
	{Key: "cursor", Value: bson.D{
		{Key: "id", Value: int64(0)},
		{Key: "ns", Value: "open311.requests"},
		{Key: "firstBatch", Value: bson.A{bson.D{
			{Key: "_id", Value: "golden-1"},
			{Key: "n", Value: 1},
			{Key: "status", Value: "open"},
			{Key: "requested", Value: goldenNow},
			{Key: "location", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: bson.A{goldenCenter.Long, goldenCenter.Lat}}}},
			{Key: "distance_radians", Value: 0.0},
			{Key: "hidden", Value: false},
		}}},
	}},
}

// commandRecorder keeps the commands that a client sends, as its command monitor receives
// them.
type commandRecorder struct {
	mu       sync.Mutex
	commands []bson.Raw
}

func (r *commandRecorder) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.commands = append(r.commands, append(bson.Raw(nil), e.Command...))
		},
	}
}

// take returns the commands recorded since the last call, and clears the record.
func (r *commandRecorder) take() []bson.Raw {
	r.mu.Lock()
	defer r.mu.Unlock()
	commands := r.commands
	r.commands = nil
	return commands
}

// sessionFields are the fields of a command that differ from run to run: the session id,
// which the driver draws at random, and the cluster time.
var sessionFields = map[string]bool{"lsid": true, "$clusterTime": true}

// format returns the commands as relaxed extended JSON, one after another, without
// sessionFields, so that a reviewer reads exactly what MongoDB is sent.
func format(t *testing.T, commands []bson.Raw) []byte {
	t.Helper()

	var b bytes.Buffer
	for _, command := range commands {
		elements, err := command.Elements()
		if err != nil {
			t.Fatalf("read command: %v", err)
		}
		var kept bson.D
		for _, e := range elements {
			if !sessionFields[e.Key()] {
				kept = append(kept, bson.E{Key: e.Key(), Value: e.Value()})
			}
		}
		text, err := bson.MarshalExtJSONIndent(kept, false, false, "", "  ")
		if err != nil {
			t.Fatalf("format command: %v", err)
		}
		b.Write(text)
		b.WriteString("\n")
	}
	return b.Bytes()
}

// checkGolden compares got with the golden file named after the test, or rewrites the file
// with -update.
func checkGolden(t *testing.T, got []byte) {
	t.Helper()

	name := strings.NewReplacer("/", "__", " ", "_").Replace(t.Name())
	path := filepath.Join("..", "testdata", "golden", "mongo", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mongo -update to create the golden file)", err)
	}
	if diff := cmp.Diff(string(got), string(want)); diff != "" {
		t.Errorf("commands differ from %s (-got +want):\n%s", path, diff)
	}
}

// newMockStore returns a store on the driver's mock deployment, which replies mockReply to
// every command, and the recorder of the commands it sends. Open's commands are recorded.
func newMockStore(t *testing.T) (*Store, *commandRecorder) {
	t.Helper()
	s, recorder, _ := newMockDeploymentStore(t)
	return s, recorder
}

// newMockDeploymentStore returns what newMockStore does, and the mock deployment, whose
// queue of replies a test may replace after Open.
func newMockDeploymentStore(t *testing.T) (*Store, *commandRecorder, *drivertest.MockDeployment) {
	t.Helper()

	deployment := drivertest.NewMockDeployment()
	recorder := &commandRecorder{}
	opts := options.Client().SetMonitor(recorder.monitor())
	if err := xoptions.SetInternalClientOptions(opts, "deployment", deployment); err != nil {
		t.Fatalf("set the mock deployment: %v", err)
	}

	// The mock replies in order from a queue, and no test sends more than this many
	// commands.
	for range 64 {
		deployment.AddResponses(mockReply)
	}
	s, err := open(context.Background(), opts, DefaultDatabase, nil, settings{})
	if err != nil {
		t.Fatalf("open a store on the mock deployment: %v", err)
	}
	s.now = func() time.Time { return goldenNow }
	t.Cleanup(func() { s.Close() })
	return s, recorder, deployment
}

func TestGoldenOpen(t *testing.T) {
	_, recorder := newMockStore(t)
	checkGolden(t, format(t, recorder.take()))
}

// goldenRequest returns a request with every field set and fixed times.
func goldenRequest(id string) georeport.Request {
	return georeport.Request{
		ID:                id,
		Jurisdiction:      "hel.fi",
		Token:             "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1",
		ServiceCode:       "176",
		ServiceName:       "Töhryt",
		Status:            georeport.StatusOpen,
		Description:       "Töhryjä Kauppatorin laidalla",
		AgencyResponsible: "Kaupunkiympäristö",
		ServiceNotice:     "Käsitellään 14 päivässä",
		Requested:         goldenNow.Add(500 * time.Millisecond),
		Updated:           goldenNow,
		Expected:          goldenNow.Add(14 * 24 * time.Hour),
		Address:           "Kauppatori",
		Location:          &georeport.Point{Lat: 60.1676, Long: 24.9525},
		MediaURL:          "https://media.example.org/a.jpg",
		Title:             "Töhryjä",
		DetailedStatus:    "RECEIVED, PUBLIC_WORKS_NEW",
		MediaURLs:         []string{"https://media.example.org/a.jpg"},
		ServiceObjectID:   "B-17",
		ServiceObjectType: "bench",
		Tasks:             []georeport.Task{{State: "open", Type: "field_check", Created: goldenNow}},
		Attributes:        []georeport.AttributeValue{{Code: "KIND", Values: []string{"paint"}}},
		Visibility:        georeport.Public,
		Reporter:          georeport.Reporter{Email: "maija@example.org", FirstName: "Maija"},
	}
}

func TestGoldenWrites(t *testing.T) {
	ctx := context.Background()

	tests := []struct {
		name string
		call func(s *Store) error
	}{
		{
			name: "create request",
			call: func(s *Store) error {
				r := goldenRequest("sr-1")
				return s.CreateRequest(ctx, &r)
			},
		},
		{
			name: "import requests",
			call: func(s *Store) error {
				replacement := goldenRequest("sr-1")
				replacement.Token = ""
				replacement.Reporter = georeport.Reporter{}
				replacement.Attributes = nil
				undated := georeport.Request{ID: "sr-2", ServiceCode: "171", Status: georeport.StatusClosed}
				_, err := s.ImportRequests(ctx, []georeport.Request{replacement, undated})
				return err
			},
		},
		{
			name: "save catalog",
			call: func(s *Store) error {
				return s.SaveCatalog(ctx, []byte(`{"default_locale":"fi","services":[]}`))
			},
		},
		{
			name: "create key",
			call: func(s *Store) error {
				k := georeport.Key{Name: "app", Role: georeport.RoleClient, Hash: georeport.HashKey("key of app"), Active: true, Created: goldenNow}
				return s.CreateKey(ctx, &k)
			},
		},
		{
			name: "revoke key",
			call: func(s *Store) error { return s.RevokeKey(ctx, "app") },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, recorder := newMockStore(t)
			recorder.take()

			if err := tc.call(s); err != nil {
				t.Fatalf("call on the mock deployment error = %v", err)
			}
			checkGolden(t, format(t, recorder.take()))
		})
	}
}

func TestGoldenReads(t *testing.T) {
	ctx := context.Background()

	tests := []struct {
		name string
		call func(s *Store) error
	}{
		{
			name: "request",
			call: func(s *Store) error {
				_, err := s.Request(ctx, "sr-1")
				return err
			},
		},
		{
			name: "request id by token",
			call: func(s *Store) error {
				_, err := s.RequestIDByToken(ctx, "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1")
				return err
			},
		},
		{
			name: "catalog",
			call: func(s *Store) error {
				_, err := s.Catalog(ctx)
				return err
			},
		},
		{
			name: "key by hash",
			call: func(s *Store) error {
				_, err := s.KeyByHash(ctx, georeport.HashKey("key of app"))
				return err
			},
		},
		{
			name: "keys",
			call: func(s *Store) error {
				_, err := s.Keys(ctx)
				return err
			},
		},
		{name: "ping", call: func(s *Store) error { return s.Ping(ctx) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, recorder := newMockStore(t)
			recorder.take()

			if err := tc.call(s); err != nil {
				t.Fatalf("call on the mock deployment error = %v", err)
			}
			checkGolden(t, format(t, recorder.take()))
		})
	}
}

// TestGoldenFindRequests records the commands of FindRequests for each parameter of GET
// requests, as the handlers turn them into a georeport.Query. Every list query has a page
// size, 1,000 by default, and a window of requested_datetime, the last 90 days by default.
func TestGoldenFindRequests(t *testing.T) {
	from := goldenNow.Add(-georeport.DefaultWindow)
	window := func(q georeport.Query) georeport.Query {
		if q.RequestedFrom.IsZero() && q.RequestedTo.IsZero() && q.UpdatedFrom.IsZero() && q.UpdatedTo.IsZero() {
			q.RequestedFrom, q.RequestedTo = from, goldenNow
		}
		if q.Limit == 0 {
			q.Limit = georeport.MaxPageSize
		}
		return q
	}
	circle := &georeport.Circle{Center: goldenCenter, Radius: 500}

	tests := []struct {
		name string
		q    georeport.Query
	}{
		{name: "default window", q: window(georeport.Query{})},
		{name: "standard fields", q: window(georeport.Query{StandardFields: true})},
		{name: "lat long radius with standard fields", q: window(georeport.Query{Circle: circle, Order: georeport.NearestFirst, StandardFields: true})},
		{name: "service_request_id", q: georeport.Query{IDs: []string{"sr-1", "sr-2"}, Limit: georeport.MaxPageSize}},
		{name: "service_request_id with jurisdiction_id", q: georeport.Query{IDs: []string{"sr-1"}, Jurisdiction: "hel.fi", Limit: georeport.MaxPageSize}},
		{name: "service_code", q: window(georeport.Query{ServiceCodes: []string{"171"}})},
		{name: "service_code list", q: window(georeport.Query{ServiceCodes: []string{"171", "Public Works:Pothole"}})},
		{name: "status", q: window(georeport.Query{Statuses: []georeport.Status{georeport.StatusOpen}})},
		{name: "service_code and status", q: window(georeport.Query{ServiceCodes: []string{"171"}, Statuses: []georeport.Status{georeport.StatusOpen, georeport.StatusClosed}})},
		{name: "start_date and end_date", q: window(georeport.Query{RequestedFrom: goldenNow.Add(-30 * 24 * time.Hour), RequestedTo: goldenNow.Add(999 * time.Millisecond)})},
		{name: "updated_after", q: window(georeport.Query{UpdatedFrom: goldenNow.Add(-24 * time.Hour), UpdatedTo: goldenNow})},
		{name: "updated_before", q: window(georeport.Query{UpdatedTo: goldenNow.Add(-24 * time.Hour)})},
		{name: "lat long radius", q: window(georeport.Query{Circle: circle, Order: georeport.NearestFirst})},
		{name: "lat long radius with dates", q: window(georeport.Query{Circle: circle, RequestedFrom: from, RequestedTo: goldenNow})},
		{name: "lat long small radius", q: window(georeport.Query{Circle: &georeport.Circle{Center: goldenCenter, Radius: 0.5}, Order: georeport.NearestFirst})},
		{name: "bbox", q: window(georeport.Query{BBox: &georeport.BBox{MinLong: 24.90, MinLat: 60.15, MaxLong: 24.98, MaxLat: 60.20}})},
		{name: "bbox and radius", q: window(georeport.Query{BBox: &georeport.BBox{MinLong: 24.90, MinLat: 60.15, MaxLong: 24.98, MaxLat: 60.20}, Circle: circle})},
		{name: "service_object", q: window(georeport.Query{ServiceObjectType: "bench", ServiceObjectID: "B-17"})},
		{name: "q", q: window(georeport.Query{Words: []string{"Töhryjä", "KAUPPATORIN", "!!!"}})},
		{name: "agency_responsible", q: window(georeport.Query{Agency: "KAUPUNKIYMPÄRISTÖ"})},
		{name: "detailed_status", q: window(georeport.Query{DetailedStatuses: []string{"RECEIVED"}})},
		{name: "detailed_status list", q: window(georeport.Query{DetailedStatuses: []string{"RECEIVED", "PUBLIC_WORKS_COMPLETED"}})},
		{name: "jurisdiction_id", q: window(georeport.Query{Jurisdiction: "hel.fi"})},
		{name: "include hidden", q: window(georeport.Query{IncludeHidden: true})},
		{name: "page and page_size", q: window(georeport.Query{Offset: 20, Limit: 10})},
		{name: "full page", q: window(georeport.Query{Limit: 1})},
		{name: "full page nearest first", q: window(georeport.Query{Circle: circle, Order: georeport.NearestFirst, Limit: 1})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, recorder := newMockStore(t)
			recorder.take()

			q := tc.q
			if _, err := s.FindRequests(context.Background(), &q); err != nil {
				t.Fatalf("FindRequests on the mock deployment error = %v", err)
			}
			checkGolden(t, format(t, recorder.take()))
		})
	}
}
