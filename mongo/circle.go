package mongo

// A circle query selects the requests whose georeport.Distance from the centre is at most
// the radius, as on every store, so that a request on the edge is in or out alike. MongoDB
// cannot select them alone: $centerSphere matches a point when the S2 cell around it meets
// the cap, so it also matches points up to about a centimetre outside, and MongoDB
// measures angles with its own arithmetic. So findInCircle queries a cap that is capMargin
// larger than the circle, and removes the few requests of the band between a cap capMargin
// smaller and the larger one that georeport.Distance puts outside.
//
// NearestFirst sorts by georeport.Distance, then NewestFirst. $nearSphere sorts by
// MongoDB's distance, has no tie-breaker, and cannot be counted, so findNearest reads
// candidates from a $geoNear stage, in MongoDB's order, until no later one can enter the
// page, and sorts them in Go.
//
// NOTE: FerretDB, on which go test runs the contract suite, has no geospatial operators, so
// the code of this file runs against a server only in TestStoreMongoDB, with
// OPEN311_TEST_MONGODB_URI set. Unit tests cover nearestSelector, and golden files show the
// commands.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// capMargin is how far in metres the caps of findInCircle reach beyond or stop short of
// the circle. It is far above the error of MongoDB's caps (about a centimetre) and small
// enough that the band between them holds few requests.
const capMargin = 1.0

// angleTolerance bounds, in radians, how far MongoDB's angle between two points may be
// from georeport.Distance divided by georeport.EarthRadius: 1e-9 radians is about 6 mm,
// while both compute in float64 with errors near 1e-15 radians.
const angleTolerance = 1e-9

// outerAngle returns the angle of the cap that contains every request of the circle.
func outerAngle(c *georeport.Circle) float64 {
	return (c.Radius + capMargin) / georeport.EarthRadius
}

// innerAngle returns the angle of the cap whose requests are all in the circle, or 0 when
// the circle is too small to have one.
func innerAngle(c *georeport.Circle) float64 {
	return max(c.Radius-capMargin, 0) / georeport.EarthRadius
}

// findInCircle returns a page of the requests that match filter and lie in the circle, in
// the order, with their distances, and the count of all matches.
func (s *Store) findInCircle(ctx context.Context, filter bson.D, c *georeport.Circle, order georeport.Order, offset, limit int,
	projection bson.D) (*georeport.Page, error) {
	candidates := and(filter, bson.D{{Key: "location", Value: capCondition(c.Center, outerAngle(c))}})
	outside, err := s.outsideCircle(ctx, filter, c)
	if err != nil {
		return nil, err
	}
	exact := candidates
	if len(outside) > 0 {
		exact = append(exact, bson.E{Key: "_id", Value: bson.D{{Key: "$nin", Value: outside}}})
	}

	if order == georeport.NearestFirst {
		return s.findNearest(ctx, filter, exact, c, offset, limit, projection)
	}

	page, err := s.findNewest(ctx, exact, offset, limit, projection)
	if err != nil {
		return nil, err
	}
	page.Distances = make([]float64, len(page.Requests))
	for i, r := range page.Requests {
		if r.Location == nil {
			return nil, fmt.Errorf("request %q matched a circle but has no location", r.ID)
		}
		page.Distances[i] = georeport.Distance(c.Center, *r.Location)
	}
	return page, nil
}

// outsideCircle returns the ids of the requests that match filter, lie in the band between
// the inner and the outer cap, and are farther from the centre than the radius.
func (s *Store) outsideCircle(ctx context.Context, filter bson.D, c *georeport.Circle) ([]string, error) {
	band := []bson.D{{{Key: "location", Value: capCondition(c.Center, outerAngle(c))}}}
	if inner := innerAngle(c); inner > 0 {
		band = append(band, bson.D{{Key: "$nor", Value: bson.A{
			bson.D{{Key: "location", Value: capCondition(c.Center, inner)}},
		}}})
	}

	opts := options.Find().SetProjection(bson.D{{Key: "location", Value: 1}})
	cursor, err := s.requests.Find(ctx, and(filter, band...), opts)
	if err != nil {
		return nil, fmt.Errorf("find the edge of the circle: %w", err)
	}
	var docs []struct {
		ID       string    `bson:"_id"`
		Location *geoPoint `bson:"location"`
	}
	if err := cursor.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read the edge of the circle: %w", err)
	}

	var outside []string
	for _, d := range docs {
		p, ok := d.Location.point()
		if !ok || georeport.Distance(c.Center, p) > c.Radius {
			outside = append(outside, d.ID)
		}
	}
	return outside, nil
}

// findNearest returns a page of the requests that match filter and lie in the circle,
// NearestFirst, and the count of the matches of exact, the filter of the circle's
// requests.
func (s *Store) findNearest(ctx context.Context, filter, exact bson.D, c *georeport.Circle, offset, limit int,
	projection bson.D) (*georeport.Page, error) {
	offset = max(offset, 0)
	need := 0
	if limit > 0 {
		need = offset + limit
	}

	// A legacy coordinate pair with spherical makes $geoNear measure in radians, which
	// compare with georeport.Distance divided by georeport.EarthRadius. A GeoJSON point
	// would give metres on MongoDB's own Earth radius of 6,378.1 km.
	pipeline := bson.A{
		bson.D{{Key: "$geoNear", Value: bson.D{
			{Key: "near", Value: bson.A{c.Center.Long, c.Center.Lat}},
			{Key: "spherical", Value: true},
			{Key: "key", Value: "location"},
			{Key: "distanceField", Value: "distance_radians"},
			{Key: "maxDistance", Value: outerAngle(c)},
			{Key: "query", Value: filter},
		}}},
		bson.D{{Key: "$project", Value: bson.D{
			{Key: "location", Value: 1},
			{Key: "requested", Value: 1},
			{Key: "distance_radians", Value: 1},
		}}},
	}
	opts := options.Aggregate()
	if need > 0 {
		opts.SetBatchSize(int32(min(need+16, 1000)))
	}
	cursor, err := s.requests.Aggregate(ctx, pipeline, opts)
	if err != nil {
		return nil, fmt.Errorf("aggregate nearest: %w", err)
	}
	defer cursor.Close(ctx)

	selector := nearestSelector{center: c.Center, radius: c.Radius, need: need}
	for cursor.Next(ctx) {
		var d struct {
			ID        string     `bson:"_id"`
			Location  *geoPoint  `bson:"location"`
			Requested *time.Time `bson:"requested"`
			Angle     float64    `bson:"distance_radians"`
		}
		if err := cursor.Decode(&d); err != nil {
			return nil, fmt.Errorf("read nearest: %w", err)
		}
		p, ok := d.Location.point()
		if !ok {
			continue
		}
		if !selector.add(d.ID, p, loadedTime(d.Requested), d.Angle) {
			break
		}
	}
	if err := cursor.Err(); err != nil {
		return nil, fmt.Errorf("read nearest: %w", err)
	}

	chosen := selector.page(offset, limit)
	page, err := s.requestsByID(ctx, chosen, projection)
	if err != nil {
		return nil, err
	}
	page.Total, err = s.total(ctx, exact, offset, limit, len(chosen))
	if err != nil {
		return nil, err
	}
	return page, nil
}

// requestsByID returns a page of the requests of chosen, in that order, with their
// distances and the fields that projection leaves. A request deleted since it was chosen
// is left out.
func (s *Store) requestsByID(ctx context.Context, chosen []candidate, projection bson.D) (*georeport.Page, error) {
	page := &georeport.Page{Requests: []*georeport.Request{}, Distances: []float64{}}
	if len(chosen) == 0 {
		return page, nil
	}

	ids := make([]string, len(chosen))
	for i, c := range chosen {
		ids[i] = c.id
	}
	cursor, err := s.requests.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetProjection(projection))
	if err != nil {
		return nil, fmt.Errorf("find nearest by id: %w", err)
	}
	var docs []requestDocument
	if err := cursor.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read nearest by id: %w", err)
	}

	byID := make(map[string]*requestDocument, len(docs))
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
	}
	for _, c := range chosen {
		if d, ok := byID[c.id]; ok {
			r := d.request()
			page.Requests = append(page.Requests, &r)
			page.Distances = append(page.Distances, c.distance)
		}
	}
	return page, nil
}

// candidate is a request that a NearestFirst query may return.
type candidate struct {
	id        string
	requested time.Time
	distance  float64 // metres, as georeport.Distance measures
}

// compareNearest orders candidates NearestFirst: by distance, then requested_datetime
// descending, then service_request_id descending. The zero time sorts last.
func compareNearest(a, b candidate) int {
	if c := cmp.Compare(a.distance, b.distance); c != 0 {
		return c
	}
	if c := b.requested.Compare(a.requested); c != 0 {
		return c
	}
	return strings.Compare(b.id, a.id)
}

// nearestSelector keeps the candidates of a stream in MongoDB's order of distance that
// can be among the first need in NearestFirst order.
type nearestSelector struct {
	center georeport.Point
	radius float64
	need   int // offset plus limit; 0 keeps every candidate in the circle

	kept []candidate
	// bound is the largest distance among the first need candidates kept. The first need
	// in NearestFirst order are no farther, so a candidate farther than bound comes after
	// them.
	bound float64
}

// add takes the next candidate of the stream, with the angle MongoDB measured from the
// centre. It keeps the candidate when it lies in the circle, and reports false when it and
// every later candidate, which MongoDB measured no nearer, are farther than bound.
func (n *nearestSelector) add(id string, p georeport.Point, requested time.Time, angle float64) bool {
	if n.need > 0 && len(n.kept) >= n.need && angle > n.bound/georeport.EarthRadius+angleTolerance {
		return false
	}

	distance := georeport.Distance(n.center, p)
	if distance > n.radius {
		return true
	}
	n.kept = append(n.kept, candidate{id: id, requested: requested, distance: distance})
	if len(n.kept) <= n.need {
		n.bound = max(n.bound, distance)
	}
	return true
}

// page returns the candidates from offset, at most limit of them, NearestFirst. A limit of
// 0 or less returns all from offset.
func (n *nearestSelector) page(offset, limit int) []candidate {
	slices.SortFunc(n.kept, compareNearest)

	start := min(max(offset, 0), len(n.kept))
	end := len(n.kept)
	if limit > 0 {
		end = min(start+limit, end)
	}
	return n.kept[start:end]
}

// and returns filter with the conditions added to its $and list, which it creates when
// filter has none. Conditions on one key, such as two on location, must go there, because
// a key may occur once in a filter.
func and(filter bson.D, conditions ...bson.D) bson.D {
	out := make(bson.D, 0, len(filter)+1)
	var list bson.A
	for _, e := range filter {
		if e.Key == "$and" {
			list = append(list, e.Value.(bson.A)...)
			continue
		}
		out = append(out, e)
	}
	for _, c := range conditions {
		list = append(list, c)
	}
	return append(out, bson.E{Key: "$and", Value: list})
}
