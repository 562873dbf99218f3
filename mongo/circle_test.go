package mongo

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open311-to-go/open311/georeport"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// cursorReply returns a server reply with a cursor of the documents.
func cursorReply(docs ...bson.D) bson.D {
	batch := bson.A{}
	for _, d := range docs {
		batch = append(batch, d)
	}
	return bson.D{
		{Key: "ok", Value: 1},
		{Key: "cursor", Value: bson.D{{Key: "id", Value: int64(0)}, {Key: "ns", Value: "open311.requests"}, {Key: "firstBatch", Value: batch}}},
	}
}

// located returns a request document with only an id and a location.
func located(id string, p georeport.Point) bson.D {
	return bson.D{
		{Key: "_id", Value: id},
		{Key: "location", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: bson.A{p.Long, p.Lat}}}},
	}
}

// north returns the point metres north of p.
func north(p georeport.Point, metres float64) georeport.Point {
	return georeport.Point{Lat: p.Lat + metres/georeport.EarthRadius*180/math.Pi, Long: p.Long}
}

// TestCircleRemovesOutsideOfBand checks that a request which MongoDB returns in the band at
// the edge of the circle, but which georeport.Distance puts outside, is left out of the page
// and the count.
func TestCircleRemovesOutsideOfBand(t *testing.T) {
	s, recorder, deployment := newMockDeploymentStore(t)
	recorder.take()

	const radius = 500
	inside := north(goldenCenter, radius-0.5)
	outside := north(goldenCenter, radius+0.4)
	deployment.ClearResponses()
	deployment.AddResponses(
		cursorReply(located("inside", inside), located("outside", outside)), // the band
		cursorReply(located("inside", inside)),                              // the page
		cursorReply(bson.D{{Key: "n", Value: 1}}),                           // the count
	)

	q := georeport.Query{Circle: &georeport.Circle{Center: goldenCenter, Radius: radius}, Limit: 1}
	page, err := s.FindRequests(context.Background(), &q)
	if err != nil {
		t.Fatalf("FindRequests error = %v", err)
	}
	if got, want := page.Distances, []float64{georeport.Distance(goldenCenter, inside)}; !cmp.Equal(got, want) {
		t.Errorf("FindRequests distances = %v, want %v", got, want)
	}
	if page.Total != 1 {
		t.Errorf("FindRequests total = %d, want 1", page.Total)
	}

	commands := recorder.take()
	if len(commands) != 3 {
		t.Fatalf("FindRequests sent %d commands, want 3: the band, the page and the count", len(commands))
	}
	for i, name := range []string{"page", "count"} {
		if !excludesID(commands[i+1], "outside") {
			t.Errorf("%s command = %v, want a filter with _id $nin [outside]", name, commands[i+1])
		}
	}
}

// excludesID reports whether the first filter of a find or an aggregate's $match has
// _id: {$nin: [id]}.
func excludesID(command bson.Raw, id string) bool {
	filter, ok := command.Lookup("filter").DocumentOK()
	if !ok {
		stage, ok := command.Lookup("pipeline", "0").DocumentOK()
		if !ok {
			return false
		}
		if filter, ok = stage.Lookup("$match").DocumentOK(); !ok {
			return false
		}
	}
	values, ok := filter.Lookup("_id", "$nin").ArrayOK()
	if !ok {
		return false
	}
	first, ok := values.Index(0).StringValueOK()
	return ok && first == id
}

// TestNearestFirstOrdersByDistance checks that a NearestFirst page follows
// georeport.Distance, leaves out what MongoDB's $geoNear returns past the radius, and keeps
// its order when the requests by id come back in another order.
func TestNearestFirstOrdersByDistance(t *testing.T) {
	s, recorder, deployment := newMockDeploymentStore(t)
	recorder.take()

	const radius = 500
	near, far, past := north(goldenCenter, 100), north(goldenCenter, 300), north(goldenCenter, radius+0.4)
	streamed := func(id string, p georeport.Point) bson.D {
		return append(located(id, p), bson.E{Key: "distance_radians", Value: georeport.Distance(goldenCenter, p) / georeport.EarthRadius})
	}
	deployment.ClearResponses()
	deployment.AddResponses(
		cursorReply(located("past", past)),                                                // the band
		cursorReply(streamed("near", near), streamed("far", far), streamed("past", past)), // $geoNear
		cursorReply(located("far", far), located("near", near)),                           // by id
	)

	q := georeport.Query{Circle: &georeport.Circle{Center: goldenCenter, Radius: radius}, Order: georeport.NearestFirst, Limit: 10}
	page, err := s.FindRequests(context.Background(), &q)
	if err != nil {
		t.Fatalf("FindRequests error = %v", err)
	}

	var ids []string
	for _, r := range page.Requests {
		ids = append(ids, r.ID)
	}
	if want := []string{"near", "far"}; !cmp.Equal(ids, want) {
		t.Errorf("FindRequests ids = %v, want %v", ids, want)
	}
	wantDistances := []float64{georeport.Distance(goldenCenter, near), georeport.Distance(goldenCenter, far)}
	if !cmp.Equal(page.Distances, wantDistances) {
		t.Errorf("FindRequests distances = %v, want %v", page.Distances, wantDistances)
	}
	// The page is not full, so its end is the count, and no count command is sent.
	if page.Total != 2 {
		t.Errorf("FindRequests total = %d, want 2", page.Total)
	}
	if commands := recorder.take(); len(commands) != 3 {
		t.Errorf("FindRequests sent %d commands, want 3: the band, $geoNear and the requests by id", len(commands))
	}
}
