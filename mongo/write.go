package mongo

import (
	"context"
	"errors"
	"fmt"

	"github.com/open311-to-go/open311/georeport"
	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// importBatchSize is the number of upserts in one bulk write of ImportRequests.
const importBatchSize = 1000

// keptOnReplace are the fields that an import sets only on a new request, because an
// import does not carry them: a replaced request keeps its token, attributes, visibility
// and reporter data.
var keptOnReplace = map[string]bool{"token": true, "attributes": true, "hidden": true, "reporter": true}

// optionalFields are the fields of requestDocument that are absent when empty. An import
// that replaces a request removes those that the new version lacks.
var optionalFields = []string{"requested", "updated", "expected", "location", "media_urls", "tasks", "words"}

// CreateRequest stores a new request with its id, token, every field and its search words
// in one insert, which MongoDB applies whole or not at all. Times are stored in whole
// seconds. The write concern is the one of Open: when CreateRequest returns nil, the
// request is durable.
//
// CreateRequest returns an error of the kind Conflict when a request with the id or the
// token exists, Invalid when the id is empty, Unavailable when no primary server can be
// reached, and Internal otherwise.
func (s *Store) CreateRequest(ctx context.Context, r *georeport.Request) error {
	const op = "mongo: create request"

	if r.ID == "" {
		return newError(georeport.Invalid, op, "service_request_id is empty")
	}
	if _, err := s.requests.InsertOne(ctx, newRequestDocument(r)); err != nil {
		return translate(op, fmt.Errorf("insert request %q: %w", r.ID, redact(err)))
	}
	return nil
}

// ImportRequests inserts the requests, or replaces those whose service_request_id exists,
// with unordered bulk upserts of at most 1,000 requests each. A replaced request keeps its
// token, attributes, visibility and reporter data. When two requests in rs have the same
// id, the later one wins.
//
// Unlike the SQLite store, ImportRequests is not atomic: a request that fails is reported
// and the others are stored. Importing the same requests again is safe, because an upsert
// by id that changes nothing leaves the request as it was.
//
// ImportRequests returns the number of requests that replaced a stored one, as defined by
// georeport.Store. Its error is of the kind Invalid when a request has no id, before it
// writes anything. Otherwise the error lists each request that failed by its position in
// rs and its id. Its kind is Conflict when each failed on a duplicate key, such as a new
// request with the token of another. It is Unavailable when no primary server can be
// reached, and Internal otherwise.
func (s *Store) ImportRequests(ctx context.Context, rs []georeport.Request) (int, error) {
	const op = "mongo: import requests"

	for i := range rs {
		if rs[i].ID == "" {
			return 0, newError(georeport.Invalid, op, "request %d of %d has an empty service_request_id", i+1, len(rs))
		}
	}

	// An unordered bulk write may apply its operations in any order, so only the last
	// request with each id is sent. Each one left out counts as replaced by the next.
	last := make(map[string]int, len(rs))
	for i := range rs {
		last[rs[i].ID] = i
	}
	var positions []int
	for i := range rs {
		if last[rs[i].ID] == i {
			positions = append(positions, i)
		}
	}

	replaced := len(rs) - len(positions)
	var failures []error
	for start := 0; start < len(positions); start += importBatchSize {
		batch := positions[start:min(start+importBatchSize, len(positions))]
		matched, failed, err := s.upsertBatch(ctx, rs, batch)
		replaced += matched
		if err != nil {
			return replaced, translate(op, fmt.Errorf("upsert requests %d to %d of %d: %w", batch[0]+1, batch[len(batch)-1]+1, len(rs), err))
		}
		failures = append(failures, failed...)
	}
	if len(failures) == 0 {
		return replaced, nil
	}

	kind := georeport.Conflict
	for _, f := range failures {
		if k := kindOf(f); k != georeport.Conflict {
			kind = k
			break
		}
	}
	return replaced, &georeport.Error{
		Kind: kind,
		Op:   op,
		Err:  fmt.Errorf("%d of %d requests failed, the others are stored: %w", len(failures), len(rs), errors.Join(failures...)),
	}
}

// upsertBatch upserts the requests of rs at the positions in batch with one bulk write.
// It returns the number of stored requests that the write matched and so replaced, and the
// error of each request that the server rejected. Its error is that of a bulk write that
// failed as a whole, such as when no server could be reached.
func (s *Store) upsertBatch(ctx context.Context, rs []georeport.Request, batch []int) (int, []error, error) {
	models := make([]mongodriver.WriteModel, len(batch))
	for i, pos := range batch {
		update, err := importUpdate(&rs[pos])
		if err != nil {
			return 0, nil, fmt.Errorf("encode request %q: %w", rs[pos].ID, err)
		}
		models[i] = mongodriver.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: rs[pos].ID}}).
			SetUpdate(update).
			SetUpsert(true)
	}

	result, err := s.requests.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	matched := 0
	if result != nil {
		matched = int(result.MatchedCount)
	}
	var bulk mongodriver.BulkWriteException
	if err == nil || !errors.As(err, &bulk) || len(bulk.WriteErrors) == 0 || bulk.WriteConcernError != nil {
		return matched, nil, redact(err)
	}

	failed := make([]error, len(bulk.WriteErrors))
	for i, we := range bulk.WriteErrors {
		pos := batch[we.Index]
		failed[i] = fmt.Errorf("request %d (service_request_id %q): %w", pos+1, rs[pos].ID, redactWriteError(we.WriteError))
	}
	return matched, failed, nil
}

// importUpdate returns the update of an import upsert of r: $set for the fields that an
// import carries, $setOnInsert for those that a replaced request keeps, and $unset for the
// optional fields that r lacks.
func importUpdate(r *georeport.Request) (bson.D, error) {
	raw, err := bson.Marshal(newRequestDocument(r))
	if err != nil {
		return nil, err
	}
	elements, err := bson.Raw(raw).Elements()
	if err != nil {
		return nil, err
	}

	var set, setOnInsert, unset bson.D
	present := make(map[string]bool, len(elements))
	for _, e := range elements {
		key := e.Key()
		present[key] = true
		switch {
		case key == "_id":
			// The upsert's filter gives a new request its _id.
		case keptOnReplace[key]:
			setOnInsert = append(setOnInsert, bson.E{Key: key, Value: e.Value()})
		default:
			set = append(set, bson.E{Key: key, Value: e.Value()})
		}
	}
	for _, key := range optionalFields {
		if !present[key] {
			unset = append(unset, bson.E{Key: key, Value: ""})
		}
	}

	update := bson.D{{Key: "$set", Value: set}}
	if len(setOnInsert) > 0 {
		update = append(update, bson.E{Key: "$setOnInsert", Value: setOnInsert})
	}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	return update, nil
}
