package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// index is one index that Open creates.
type index struct {
	collection string
	name       string
	keys       bson.D
	unique     bool
	// sparse leaves out documents without the field. A partial index would do the same
	// with a filter, but FerretDB 1.24 and some managed services reject partial indexes.
	sparse bool
}

// indexes are every index of the store, and the only place that defines one. Open creates
// them, and creating an index that exists with the same keys and options changes nothing.
// The _id index, which MongoDB creates with each collection, makes service_request_id and
// key names unique.
//
// Lists lead with hidden, because public lists always filter on it, and end with
// requested and _id descending, so that MongoDB reads a page of NewestFirst in index
// order instead of sorting the matches.
var indexes = []index{
	// RequestIDByToken, and the Conflict of CreateRequest for a token that exists. Only
	// batch requests have a token, so the index is sparse.
	//
	// NOTE: MongoDB allows a unique index on a sharded collection only when the shard key
	// is a prefix of it, so Open fails with this index on a requests collection sharded by
	// another key, such as a hashed _id. No test runs on a sharded cluster.
	{collection: requestsCollection, name: "token_unique", keys: bson.D{{Key: "token", Value: 1}}, unique: true, sparse: true},
	// Lists without other conditions, and windows of requested_datetime.
	{collection: requestsCollection, name: "newest", keys: bson.D{{Key: "hidden", Value: 1}, {Key: "requested", Value: -1}, {Key: "_id", Value: -1}}},
	// service_code, alone or with status.
	{collection: requestsCollection, name: "service_code_status", keys: bson.D{{Key: "hidden", Value: 1}, {Key: "service_code", Value: 1}, {Key: "status", Value: 1}, {Key: "requested", Value: -1}, {Key: "_id", Value: -1}}},
	// status alone.
	{collection: requestsCollection, name: "status", keys: bson.D{{Key: "hidden", Value: 1}, {Key: "status", Value: 1}, {Key: "requested", Value: -1}, {Key: "_id", Value: -1}}},
	// updated_after and updated_before.
	{collection: requestsCollection, name: "updated", keys: bson.D{{Key: "hidden", Value: 1}, {Key: "updated", Value: 1}}},
	// jurisdiction_id on a store of several jurisdictions.
	{collection: requestsCollection, name: "jurisdiction", keys: bson.D{{Key: "jurisdiction", Value: 1}, {Key: "hidden", Value: 1}, {Key: "requested", Value: -1}, {Key: "_id", Value: -1}}},
	// service_object_type with service_object_id.
	{collection: requestsCollection, name: "service_object", keys: bson.D{{Key: "service_object_type", Value: 1}, {Key: "service_object_id", Value: 1}}},
	// agency_responsible, matched case-folded.
	{collection: requestsCollection, name: "agency", keys: bson.D{{Key: "agency_folded", Value: 1}}},
	// q: a multikey index on the search words of each request.
	{collection: requestsCollection, name: "words", keys: bson.D{{Key: "words", Value: 1}}},
	// detailed_status: a multikey index on the elements of the list.
	{collection: requestsCollection, name: "detailed_statuses", keys: bson.D{{Key: "detailed_statuses", Value: 1}}},
	// lat, long and radius. $centerSphere and $geoNear use it; $box cannot, so bbox reads
	// one of the indexes above. Requests without a location are not in a 2dsphere index.
	{collection: requestsCollection, name: locationIndex, keys: bson.D{{Key: "location", Value: "2dsphere"}}},

	// MediaInUse: a multikey index on the media URLs of each request, which list the
	// media_url first.
	{collection: requestsCollection, name: "media_urls", keys: bson.D{{Key: "media_urls", Value: 1}}},

	// KeyByHash.
	{collection: keysCollection, name: "hash_unique", keys: bson.D{{Key: "hash", Value: 1}}, unique: true},

	// StaleMedia.
	{collection: mediaCollection, name: "reserved", keys: bson.D{{Key: "reserved", Value: 1}}},
}

// createIndexes creates the indexes of the table, except those that skip names, with one
// createIndexes command each, so that an error names its index. (FerretDB 1.24 also
// crashes on a command of several indexes that all exist.) It returns how many it asked
// for.
func (s *Store) createIndexes(ctx context.Context, skip map[string]bool) (int, error) {
	collections := map[string]*mongodriver.Collection{
		requestsCollection: s.requests,
		keysCollection:     s.keys,
		mediaCollection:    s.media,
	}

	created := 0
	for _, ix := range indexes {
		if skip[ix.name] {
			s.logger.Warn("mongo index skipped", "collection", ix.collection, "index", ix.name)
			continue
		}

		opts := options.Index().SetName(ix.name)
		if ix.unique {
			opts.SetUnique(true)
		}
		if ix.sparse {
			opts.SetSparse(true)
		}
		model := mongodriver.IndexModel{Keys: ix.keys, Options: opts}
		_, err := collections[ix.collection].Indexes().CreateOne(ctx, model)
		if err != nil && ix.name == locationIndex && lacksGeoIndexes(err) {
			// NOTE: Only test servers such as FerretDB 1.24 lack 2dsphere indexes. The store
			// still serves them, so that everything but area queries can be tested there.
			s.noGeo = true
			s.logger.Warn("the database has no 2dsphere index type, so circle and bbox queries will fail",
				"collection", ix.collection, "index", ix.name, "err", err)
			continue
		}
		if err != nil {
			return created, fmt.Errorf("create index %s of collection %s: %w", ix.name, ix.collection, err)
		}
		created++
	}
	return created, nil
}

// locationIndex is the name of the 2dsphere index of request locations.
const locationIndex = "location"

// lacksGeoIndexes reports whether a createIndexes error means that the server has no
// 2dsphere index type. FerretDB 1.24 answers with IndexNotFound (code 27), which MongoDB
// never returns from createIndexes.
func lacksGeoIndexes(err error) bool {
	var server mongodriver.ServerError
	return errors.As(err, &server) && server.HasErrorCode(27)
}
