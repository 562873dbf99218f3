package mongo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/open311-to-go/open311/georeport"
	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		uri     string
		want    string
		wantErr bool
	}{
		{uri: "mongodb://127.0.0.1:27017", want: DefaultDatabase},
		{uri: "mongodb://127.0.0.1:27017/", want: DefaultDatabase},
		{uri: "mongodb://127.0.0.1:27017/city", want: "city"},
		{uri: "mongodb://a:1,b:2,c:3/city?replicaSet=rs0&readPreference=secondaryPreferred", want: "city"},
		{uri: "mongodb+srv://user:p%2Fss@cluster0.example.mongodb.net/open311_prod?retryWrites=true", want: "open311_prod"},
		{uri: "mongodb://user:pass@host/?authSource=admin", want: DefaultDatabase},
		{uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock/city", want: "city"},
		{uri: "mongodb://host/?authMechanism=MONGODB-X509&tls=true&tlsCertificateKeyFile=%2Fetc%2Fcert.pem", want: DefaultDatabase},
		{uri: "mongodb://host/c%C3%A4ty", want: "cäty"},
		{uri: "mongodb://host/a.b", wantErr: true},
		{uri: "mongodb://host/a%20b", wantErr: true},
		{uri: "mongodb://host/a%zz", wantErr: true},
		{uri: "mongodb://host/" + strings.Repeat("d", 64), wantErr: true},
		{uri: "postgres://host/city", wantErr: true},
		{uri: "open311.db", wantErr: true},
	}
	for _, tc := range tests {
		got, err := databaseName(tc.uri)
		if tc.wantErr {
			if err == nil {
				t.Errorf("databaseName(%q) = %q, want an error", tc.uri, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("databaseName(%q) = %q, %v, want %q, nil", tc.uri, got, err, tc.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		uri  string
		want georeport.Kind
	}{
		{name: "not a MongoDB URI", uri: "open311.db", want: georeport.Invalid},
		{name: "invalid database", uri: "mongodb://127.0.0.1:27017/a.b", want: georeport.Invalid},
		{name: "invalid option", uri: "mongodb://127.0.0.1:27017/?readPreference=nearby", want: georeport.Invalid},
		// Nothing listens on port 1 of the loopback address.
		{name: "no server", uri: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200&connectTimeoutMS=200", want: georeport.Unavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.uri, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) error = nil, want kind %v", tc.uri, tc.want)
			}
			if got := georeport.KindOf(err); got != tc.want {
				t.Errorf("Open(%q) error kind = %v, want %v (error %v)", tc.uri, got, tc.want, err)
			}
		})
	}
}

func TestOpenOnFerretDB(t *testing.T) {
	ctx := context.Background()
	uri := strings.TrimSuffix(ferretDBURI(t), "/") + "/open311_open_test"

	// FerretDB has no 2dsphere index, so Open serves it without area queries.
	s, err := Open(ctx, uri, nil)
	if err != nil {
		t.Fatalf("Open(%q) on FerretDB error = %v, want a store without area queries", uri, err)
	}
	if !s.noGeo {
		t.Error("Open on FerretDB did not notice the missing 2dsphere index")
	}
	circle := &georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 60, Long: 25}, Radius: 100}, Limit: 10}
	box := &georeport.Query{BBox: &georeport.BBox{MinLong: 24, MinLat: 60, MaxLong: 25, MaxLat: 61}, Limit: 10}
	for _, q := range []*georeport.Query{circle, box} {
		if _, err := s.FindRequests(ctx, q); georeport.KindOf(err) != georeport.Unavailable {
			t.Errorf("FindRequests(%+v) on FerretDB error = %v, want kind Unavailable", q, err)
		}
	}
	if _, err := s.FindRequests(ctx, &georeport.Query{Limit: 10}); err != nil {
		t.Errorf("FindRequests without an area on FerretDB error = %v", err)
	}
	s.Close()

	// Opening a database twice finds the indexes in place.
	for i := 1; i <= 2; i++ {
		s, err := open(ctx, clientOptions(uri), "open311_open_test", nil, ferretDBSettings)
		if err != nil {
			t.Fatalf("open %d error = %v", i, err)
		}
		if i == 2 {
			if err := s.client.Database(s.database).Drop(ctx); err != nil {
				t.Errorf("drop database: %v", err)
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close() after open %d error = %v", i, err)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want georeport.Kind
	}{
		{name: "no documents", err: fmt.Errorf("read: %w", mongodriver.ErrNoDocuments), want: georeport.NotFound},
		{name: "duplicate key", err: duplicateWrite("token_unique", "8f14e45f"), want: georeport.Conflict},
		{name: "redacted duplicate key", err: fmt.Errorf("insert: %w", &duplicateKeyError{index: "_id_"}), want: georeport.Conflict},
		{name: "deadline", err: context.DeadlineExceeded, want: georeport.Unavailable},
		{name: "canceled", err: context.Canceled, want: georeport.Unavailable},
		{name: "disconnected", err: mongodriver.ErrClientDisconnected, want: georeport.Unavailable},
		{name: "server selection", err: topology.ServerSelectionError{Wrapped: errors.New("server selection timeout")}, want: georeport.Unavailable},
		{name: "stepped down", err: mongodriver.CommandError{Code: 189, Message: "primary stepped down"}, want: georeport.Unavailable},
		{name: "not writable primary", err: mongodriver.WriteException{WriteErrors: []mongodriver.WriteError{{Code: 10107}}}, want: georeport.Unavailable},
		{name: "other command error", err: mongodriver.CommandError{Code: 2, Message: "bad value"}, want: georeport.Internal},
		{name: "other write error", err: &rejectedWriteError{code: 16755}, want: georeport.Internal},
		{name: "plain error", err: errors.New("boom"), want: georeport.Internal},
	}
	for _, tc := range tests {
		if got := kindOf(tc.err); got != tc.want {
			t.Errorf("kindOf(%s: %v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// duplicateWrite returns the error that InsertOne returns for a duplicate key, with the
// server's message, which quotes the value.
func duplicateWrite(index, value string) error {
	message := fmt.Sprintf(`E11000 duplicate key error collection: open311.requests index: %s dup key: { token: "%s" }`, index, value)
	return mongodriver.WriteException{WriteErrors: []mongodriver.WriteError{{Code: 11000, Message: message}}}
}

func TestTranslateRedacts(t *testing.T) {
	const personal = "maija@example.org"
	tests := []struct {
		name      string
		err       error
		wantKind  georeport.Kind
		wantCause string
	}{
		{
			name:      "duplicate key",
			err:       duplicateWrite("token_unique", personal),
			wantKind:  georeport.Conflict,
			wantCause: "mongo: create request: conflict: duplicate key in index token_unique",
		},
		{
			name: "document in a write error",
			err: mongodriver.WriteException{WriteErrors: []mongodriver.WriteError{{
				Code:    16755,
				Message: `Can't extract geo keys: { _id: "sr-1", reporter: { email: "` + personal + `" } }`,
			}}},
			wantKind:  georeport.Internal,
			wantCause: "mongo: create request: internal: the server rejected the write with error code 16755",
		},
		{
			name: "bulk write",
			err: mongodriver.BulkWriteException{WriteErrors: []mongodriver.BulkWriteError{
				{WriteError: mongodriver.WriteError{Index: 1, Code: 11000, Message: `E11000 duplicate key error index: _id_ dup key: { _id: "` + personal + `" }`}},
			}},
			wantKind:  georeport.Conflict,
			wantCause: "mongo: create request: conflict: duplicate key in index _id_",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := translate("mongo: create request", tc.err)
			if got := georeport.KindOf(err); got != tc.wantKind {
				t.Errorf("translate(%v) kind = %v, want %v", tc.err, got, tc.wantKind)
			}
			if got := err.Error(); got != tc.wantCause {
				t.Errorf("translate(%v) = %q, want %q", tc.err, got, tc.wantCause)
			}
			if strings.Contains(err.Error(), personal) {
				t.Errorf("translate(%v) = %q, which contains the personal data of the document", tc.err, err)
			}
		})
	}
}

func TestImportUpdateFields(t *testing.T) {
	// Every field that is absent when empty must be unset by a replacing import, or kept.
	typ := reflect.TypeFor[requestDocument]()
	for i := range typ.NumField() {
		tag := typ.Field(i).Tag.Get("bson")
		name, options, _ := strings.Cut(tag, ",")
		if options != "omitempty" || keptOnReplace[name] {
			continue
		}
		found := false
		for _, f := range optionalFields {
			found = found || f == name
		}
		if !found {
			t.Errorf("requestDocument field %q is omitted when empty, but optionalFields does not list it", name)
		}
	}

	r := georeport.Request{ID: "sr-1", Token: "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1", Location: &georeport.Point{Lat: 60, Long: 25}}
	update, err := importUpdate(&r)
	if err != nil {
		t.Fatalf("importUpdate error = %v", err)
	}
	operators := map[string][]string{}
	for _, op := range update {
		for _, field := range op.Value.(bson.D) {
			operators[op.Key] = append(operators[op.Key], field.Key)
		}
	}
	want := map[string][]string{
		"$set": {
			"jurisdiction", "service_code", "service_name", "status", "status_notes", "description",
			"agency_responsible", "agency_folded", "service_notice", "address", "address_id", "zipcode",
			"location", "media_url", "title", "detailed_status", "detailed_statuses",
			"service_object_id", "service_object_type",
		},
		"$setOnInsert": {"token", "hidden", "reporter"},
		"$unset":       {"requested", "updated", "expected", "media_urls", "tasks", "words"},
	}
	if diff := cmp.Diff(operators, want); diff != "" {
		t.Errorf("importUpdate fields by operator (-got +want):\n%s", diff)
	}
}

func TestNearestSelector(t *testing.T) {
	center := georeport.Point{Lat: 60.1699, Long: 24.9384}
	day := 24 * time.Hour
	t0 := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)

	// at returns the point about metres north of center.
	at := func(metres float64) georeport.Point {
		return georeport.Point{Lat: center.Lat + metres/georeport.EarthRadius*180/math.Pi, Long: center.Long}
	}
	type item struct {
		id        string
		p         georeport.Point
		requested time.Time
	}
	// The stream is in MongoDB's order, which may differ from georeport.Distance's by less
	// than angleTolerance; the angle passed is Distance's, nudged by the noise.
	stream := []struct {
		item
		noise float64
	}{
		{item{"a", at(10), t0}, 0},
		{item{"b", at(20), t0}, 3e-10},
		{item{"c", at(20), t0.Add(day)}, -3e-10},
		{item{"undated", at(20), time.Time{}}, 0},
		{item{"d", at(30), t0}, 0},
		{item{"outside", at(60), t0}, 0},
		{item{"e", at(1000), t0}, 0},
	}
	tests := []struct {
		name          string
		radius        float64
		offset, limit int
		want          []string
		wantRead      int // candidates read before the selector stopped
	}{
		{name: "first page", radius: 50, limit: 2, want: []string{"a", "c"}, wantRead: 4},
		{name: "second page", radius: 50, offset: 2, limit: 2, want: []string{"b", "undated"}, wantRead: 4},
		{name: "last page", radius: 50, offset: 4, limit: 2, want: []string{"d"}, wantRead: 7},
		{name: "no limit", radius: 50, want: []string{"a", "c", "b", "undated", "d"}, wantRead: 7},
		{name: "past the end", radius: 50, offset: 10, limit: 2, want: []string{}, wantRead: 7},
		{name: "radius ends at a point", radius: georeport.Distance(center, at(20)), want: []string{"a", "c", "b", "undated"}, wantRead: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			need := 0
			if tc.limit > 0 {
				need = tc.offset + tc.limit
			}
			selector := nearestSelector{center: center, radius: tc.radius, need: need}
			read := 0
			for _, s := range stream {
				angle := georeport.Distance(center, s.p)/georeport.EarthRadius + s.noise
				if !selector.add(s.id, s.p, s.requested, angle) {
					break
				}
				read++
			}

			var got []string
			for _, c := range selector.page(tc.offset, tc.limit) {
				got = append(got, c.id)
			}
			if diff := cmp.Diff(got, tc.want, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("page(%d, %d) ids (-got +want):\n%s", tc.offset, tc.limit, diff)
			}
			if read != tc.wantRead {
				t.Errorf("read %d candidates, want %d", read, tc.wantRead)
			}
		})
	}
}

func TestAnd(t *testing.T) {
	filter := bson.D{{Key: "hidden", Value: false}, {Key: "$and", Value: bson.A{bson.D{{Key: "a", Value: 1}}}}}
	got := and(filter, bson.D{{Key: "b", Value: 2}})
	want := bson.D{{Key: "hidden", Value: false}, {Key: "$and", Value: bson.A{bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "b", Value: 2}}}}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("and() (-got +want):\n%s", diff)
	}
	if len(filter[1].Value.(bson.A)) != 1 {
		t.Errorf("and() changed the $and list of its argument")
	}
}
