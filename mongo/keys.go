package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// catalogID is the _id of the one document of the catalog collection.
const catalogID = "catalog"

// catalogDocument holds the catalog file as it was saved, byte for byte.
type catalogDocument struct {
	ID    string    `bson:"_id"`
	Data  []byte    `bson:"data"`
	Saved time.Time `bson:"saved"`
}

// keyDocument is an API key as the api_keys collection stores it: its hash, never the key.
type keyDocument struct {
	Name    string     `bson:"_id"`
	Role    string     `bson:"role"`
	Hash    string     `bson:"hash"`
	Active  bool       `bson:"active"`
	Created *time.Time `bson:"created,omitempty"`
}

// Catalog returns the catalog file that SaveCatalog saved last.
//
// Catalog returns an error of the kind NotFound before the first SaveCatalog, Unavailable
// when no server can be reached, and Internal otherwise.
func (s *Store) Catalog(ctx context.Context) ([]byte, error) {
	const op = "mongo: catalog"

	var d catalogDocument
	err := s.catalog.FindOne(ctx, bson.D{{Key: "_id", Value: catalogID}}).Decode(&d)
	if errors.Is(err, mongodriver.ErrNoDocuments) {
		return nil, newError(georeport.NotFound, op, "no catalog is saved")
	}
	if err != nil {
		return nil, translate(op, fmt.Errorf("read catalog: %w", err))
	}
	if d.Data == nil {
		return []byte{}, nil
	}
	return d.Data, nil
}

// SaveCatalog replaces the saved catalog file with data. A document holds at most 16 MiB,
// far above the size of a catalog.
//
// SaveCatalog returns an error of the kind Unavailable when no primary server can be
// reached, and Internal otherwise.
func (s *Store) SaveCatalog(ctx context.Context, data []byte) error {
	const op = "mongo: save catalog"

	if data == nil {
		data = []byte{}
	}
	d := catalogDocument{ID: catalogID, Data: data, Saved: s.now().Truncate(time.Second).UTC()}
	opts := options.Replace().SetUpsert(true)
	if _, err := s.catalog.ReplaceOne(ctx, bson.D{{Key: "_id", Value: catalogID}}, d, opts); err != nil {
		return translate(op, fmt.Errorf("write catalog of %d bytes: %w", len(data), redact(err)))
	}
	return nil
}

// CreateKey stores a new API key. Its creation time is stored in whole seconds.
//
// CreateKey returns an error of the kind Conflict when a key with the name or the hash
// exists, Invalid when the name or the hash is empty, Unavailable when no primary server
// can be reached, and Internal otherwise.
func (s *Store) CreateKey(ctx context.Context, k *georeport.Key) error {
	const op = "mongo: create key"

	if k.Name == "" || k.Hash == "" {
		return newError(georeport.Invalid, op, "key name or hash is empty")
	}
	d := keyDocument{Name: k.Name, Role: k.Role, Hash: k.Hash, Active: k.Active, Created: storedTime(k.Created)}
	if _, err := s.keys.InsertOne(ctx, d); err != nil {
		return translate(op, fmt.Errorf("insert key %q: %w", k.Name, redact(err)))
	}
	return nil
}

// KeyByHash returns the key whose hash is hash, active or revoked.
//
// KeyByHash returns an error of the kind NotFound when no key has the hash, Unavailable
// when no server can be reached, and Internal otherwise.
func (s *Store) KeyByHash(ctx context.Context, hash string) (*georeport.Key, error) {
	const op = "mongo: key by hash"

	var d keyDocument
	err := s.keys.FindOne(ctx, bson.D{{Key: "hash", Value: hash}}).Decode(&d)
	if errors.Is(err, mongodriver.ErrNoDocuments) {
		// The hash identifies a secret, so the message leaves it out.
		return nil, newError(georeport.NotFound, op, "no key has the hash")
	}
	if err != nil {
		return nil, translate(op, fmt.Errorf("read key: %w", err))
	}
	k := d.key()
	return &k, nil
}

// Keys returns every key, revoked ones included, ordered by name byte by byte.
//
// Keys returns an error of the kind Unavailable when no server can be reached, and
// Internal otherwise.
func (s *Store) Keys(ctx context.Context) ([]georeport.Key, error) {
	const op = "mongo: keys"

	// The collection has MongoDB's default simple collation, which compares strings byte
	// by byte, as SQLite does.
	cursor, err := s.keys.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate(op, fmt.Errorf("find keys: %w", err))
	}
	var docs []keyDocument
	if err := cursor.All(ctx, &docs); err != nil {
		return nil, translate(op, fmt.Errorf("read keys: %w", err))
	}

	keys := make([]georeport.Key, len(docs))
	for i := range docs {
		keys[i] = docs[i].key()
	}
	return keys, nil
}

// RevokeKey marks the key with the name as revoked. Revoking a revoked key changes
// nothing and returns nil.
//
// RevokeKey returns an error of the kind NotFound when no key has the name, Unavailable
// when no primary server can be reached, and Internal otherwise.
func (s *Store) RevokeKey(ctx context.Context, name string) error {
	const op = "mongo: revoke key"

	update := bson.D{{Key: "$set", Value: bson.D{{Key: "active", Value: false}}}}
	result, err := s.keys.UpdateOne(ctx, bson.D{{Key: "_id", Value: name}}, update)
	if err != nil {
		return translate(op, fmt.Errorf("update key %q: %w", name, redact(err)))
	}
	if result.MatchedCount == 0 {
		return newError(georeport.NotFound, op, "no key has the name %q", name)
	}
	return nil
}

func (d *keyDocument) key() georeport.Key {
	return georeport.Key{Name: d.Name, Role: d.Role, Hash: d.Hash, Active: d.Active, Created: loadedTime(d.Created)}
}
