package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// newestFirst is the sort of NewestFirst: requested_datetime descending, then
// service_request_id descending. A request without a filing time sorts last, because
// MongoDB sorts a missing field before every date.
var newestFirst = bson.D{{Key: "requested", Value: -1}, {Key: "_id", Value: -1}}

// Request returns the request with the id, hidden or not, with every field that
// CreateRequest or ImportRequests stored.
//
// Request returns an error of the kind NotFound when no request has the id, Unavailable
// when no server can be reached, and Internal otherwise.
func (s *Store) Request(ctx context.Context, id string) (*georeport.Request, error) {
	const op = "mongo: request"

	var d requestDocument
	err := s.requests.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongodriver.ErrNoDocuments) {
		return nil, newError(georeport.NotFound, op, "no request has service_request_id %q", id)
	}
	if err != nil {
		return nil, translate(op, fmt.Errorf("read request %q: %w", id, err))
	}
	r := d.request()
	return &r, nil
}

// RequestIDByToken returns the service_request_id of the request filed under the batch
// token.
//
// RequestIDByToken returns an error of the kind NotFound when no request has the token,
// Unavailable when no server can be reached, and Internal otherwise.
func (s *Store) RequestIDByToken(ctx context.Context, token string) (string, error) {
	const op = "mongo: request id by token"

	var d struct {
		ID string `bson:"_id"`
	}
	opts := options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})
	err := s.requests.FindOne(ctx, bson.D{{Key: "token", Value: token}}, opts).Decode(&d)
	if errors.Is(err, mongodriver.ErrNoDocuments) {
		return "", newError(georeport.NotFound, op, "no request has token %q", token)
	}
	if err != nil {
		return "", translate(op, fmt.Errorf("read token %q: %w", token, err))
	}
	return d.ID, nil
}

// FindRequests returns one page of the requests that match q, in q's order, and the count
// of all matches. With a circle, Distances holds each request's distance from its centre
// as georeport.Distance measures it, and the circle selects exactly the requests whose
// distance is at most the radius, as on every store (see circle.go).
//
// Words are normalized with georeport.SearchWords, and each word that gives must occur in
// the request's words; a word without letters or digits adds no condition. A Limit of 0 or
// less returns every match from Offset on.
//
// NOTE: The page and the count are two reads, not one snapshot as on SQLite, so a write
// between them can make the count differ from the pages by that write. When the page is
// not full, the count is the page's end, and FindRequests makes one read.
//
// FindRequests returns an error of the kind Unavailable when no server can be reached, and
// Internal otherwise.
func (s *Store) FindRequests(ctx context.Context, q *georeport.Query) (*georeport.Page, error) {
	const op = "mongo: find requests"

	if s.noGeo && len(q.IDs) == 0 && (q.Circle != nil || q.BBox != nil) {
		err := georeport.E(georeport.Unavailable, locale.MsgAreaQueryUnsupported)
		err.Op = op
		err.Err = errors.New("circle and bbox queries need a 2dsphere index, which this database does not support")
		return nil, err
	}
	filter := requestFilter(q)
	var circle *georeport.Circle
	if len(q.IDs) == 0 {
		circle = q.Circle
	}

	var page *georeport.Page
	var err error
	if circle == nil {
		page, err = s.findNewest(ctx, filter, q.Offset, q.Limit, readProjection(q.StandardFields))
	} else {
		page, err = s.findInCircle(ctx, filter, circle, q.Order, q.Offset, q.Limit, readProjection(q.StandardFields))
	}
	if err != nil {
		return nil, translate(op, err)
	}
	return page, nil
}

// readProjection leaves out of the requests that a list reads the fields it never returns:
// the search words always, and with standard also what lists without extensions never show.
func readProjection(standard bool) bson.D {
	projection := bson.D{{Key: "words", Value: 0}}
	if standard {
		for _, field := range []string{"token", "title", "detailed_status", "detailed_statuses", "media_urls",
			"service_object_id", "service_object_type", "tasks", "attributes", "reporter"} {
			projection = append(projection, bson.E{Key: field, Value: 0})
		}
	}
	return projection
}

// findNewest returns a page of the requests that match filter, NewestFirst, with the fields
// that projection leaves, and the count of all matches.
func (s *Store) findNewest(ctx context.Context, filter bson.D, offset, limit int, projection bson.D) (*georeport.Page, error) {
	opts := options.Find().SetSort(newestFirst).SetProjection(projection)
	if offset > 0 {
		opts.SetSkip(int64(offset))
	}
	if limit > 0 {
		// A negative limit would mean one batch to MongoDB, so only a positive one is sent.
		opts.SetLimit(int64(limit))
	}

	cursor, err := s.requests.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find: %w", err)
	}
	var docs []requestDocument
	if err := cursor.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read found requests: %w", err)
	}

	page := &georeport.Page{Requests: make([]*georeport.Request, len(docs))}
	for i := range docs {
		r := docs[i].request()
		page.Requests[i] = &r
	}
	page.Total, err = s.total(ctx, filter, offset, limit, len(docs))
	if err != nil {
		return nil, err
	}
	return page, nil
}

// total returns the count of the requests that match filter, given a page of n of them
// read from offset with limit. A page that is not full ends the matches, so only a full or
// an empty page past the first needs a count.
func (s *Store) total(ctx context.Context, filter bson.D, offset, limit, n int) (int, error) {
	offset = max(offset, 0)
	switch {
	case n > 0 && (limit <= 0 || n < limit):
		return offset + n, nil
	case n == 0 && offset == 0:
		return 0, nil
	}

	count, err := s.requests.CountDocuments(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return int(count), nil
}

// requestFilter returns the filter of q's conditions other than its circle, which
// findInCircle adds. Lists of one value become an equality and longer ones $in, so that a
// single service code or status walks an index in order.
func requestFilter(q *georeport.Query) bson.D {
	var f bson.D

	if len(q.IDs) > 0 {
		f = append(f, oneOrIn("_id", q.IDs))
		if !q.IncludeHidden {
			f = append(f, bson.E{Key: "hidden", Value: false})
		}
		if q.Jurisdiction != "" {
			f = append(f, bson.E{Key: "jurisdiction", Value: q.Jurisdiction})
		}
		return f
	}

	if q.IncludeHidden {
		// Naming both values lets the indexes that lead with hidden serve the query.
		f = append(f, bson.E{Key: "hidden", Value: bson.D{{Key: "$in", Value: bson.A{false, true}}}})
	} else {
		f = append(f, bson.E{Key: "hidden", Value: false})
	}
	if q.Jurisdiction != "" {
		f = append(f, bson.E{Key: "jurisdiction", Value: q.Jurisdiction})
	}
	if len(q.ServiceCodes) > 0 {
		f = append(f, oneOrIn("service_code", q.ServiceCodes))
	}
	if len(q.Statuses) > 0 {
		statuses := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			statuses[i] = string(st)
		}
		f = append(f, oneOrIn("status", statuses))
	}

	if r := timeRange(q.RequestedFrom, q.RequestedTo); r != nil {
		f = append(f, bson.E{Key: "requested", Value: r})
	}
	if r := timeRange(q.UpdatedFrom, q.UpdatedTo); r != nil {
		f = append(f, bson.E{Key: "updated", Value: r})
	}

	if b := q.BBox; b != nil {
		f = append(f, bson.E{Key: "location", Value: boxCondition(b)})
	}

	if q.ServiceObjectType != "" {
		f = append(f, bson.E{Key: "service_object_type", Value: q.ServiceObjectType})
	}
	if q.ServiceObjectID != "" {
		f = append(f, bson.E{Key: "service_object_id", Value: q.ServiceObjectID})
	}
	if words := queryWords(q.Words); len(words) > 0 {
		f = append(f, bson.E{Key: "words", Value: bson.D{{Key: "$all", Value: words}}})
	}
	if q.Agency != "" {
		f = append(f, bson.E{Key: "agency_folded", Value: foldAgency(q.Agency)})
	}
	if len(q.DetailedStatuses) > 0 {
		f = append(f, oneOrIn("detailed_statuses", q.DetailedStatuses))
	}
	return f
}

// boxCondition returns the condition of a box: $geoWithin with $box, the planar box of
// longitudes and latitudes that SQLite's BETWEEN tests. MongoDB checks $box against a
// GeoJSON point's coordinates as numbers, edges included, as the border of a shape belongs
// to it. A GeoJSON Polygon would differ: its edges are great circles, which bulge towards
// the pole between the corners of an edge of constant latitude, and it cannot hold the
// whole world. $box cannot use the 2dsphere index.
func boxCondition(b *georeport.BBox) bson.D {
	box := bson.A{bson.A{b.MinLong, b.MinLat}, bson.A{b.MaxLong, b.MaxLat}}
	return bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$box", Value: box}}}}
}

// capCondition returns the condition of a spherical cap: $geoWithin with $centerSphere,
// whose radius is an angle in radians.
func capCondition(center georeport.Point, angle float64) bson.D {
	centerSphere := bson.A{bson.A{center.Long, center.Lat}, angle}
	return bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$centerSphere", Value: centerSphere}}}}
}

// timeRange returns the condition of inclusive time bounds in whole seconds, or nil when
// both are zero. Stored times are whole seconds, so a bound with a fraction of a second
// compares as its second, as on every store.
func timeRange(from, to time.Time) bson.D {
	var r bson.D
	if !from.IsZero() {
		r = append(r, bson.E{Key: "$gte", Value: *storedTime(from)})
	}
	if !to.IsZero() {
		r = append(r, bson.E{Key: "$lte", Value: *storedTime(to)})
	}
	return r
}

// queryWords returns the search words of the words of q, each once. Matching them with
// $all against the stored words gives whole words, case- and accent-insensitive, as the
// stored words went through the same georeport.SearchWords.
func queryWords(words []string) []string {
	var all []string
	for _, w := range words {
		all = append(all, georeport.SearchWords(w)...)
	}
	return uniqueWords(all)
}

// oneOrIn returns key = value for one value and key $in values for more.
func oneOrIn(key string, values []string) bson.E {
	if len(values) == 1 {
		return bson.E{Key: key, Value: values[0]}
	}
	return bson.E{Key: key, Value: bson.D{{Key: "$in", Value: values}}}
}
