// Package mongo is the MongoDB store of the server: a georeport.Store on one MongoDB
// database, through the official Go driver (go.mongodb.org/mongo-driver/v2). It runs on a
// standalone server, a replica set, a sharded cluster or Atlas, as the connection string
// chooses. The options of the connection string (TLS, X.509 client certificates,
// replicaSet, readPreference, timeouts) reach the driver unchanged.
//
// The database holds three collections: requests, with one document per service request
// whose _id is its service_request_id; api_keys, with one document per key whose _id is
// its name; and catalog, with one document that holds the catalog file. Open creates the
// indexes of the table in indexes.go. Nothing outside this package imports the driver.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// DefaultDatabase is the database that Open uses when the URI names none.
const DefaultDatabase = "open311"

// Collection names.
const (
	requestsCollection = "requests"
	keysCollection     = "api_keys"
	catalogCollection  = "catalog"
	mediaCollection    = "media_reservations"
)

// Store is a georeport.Store on a MongoDB database. Its methods are safe for concurrent
// use.
type Store struct {
	logger   *slog.Logger
	client   *mongodriver.Client
	database string
	now      func() time.Time // the time a catalog is saved; tests set a fixed one

	requests *mongodriver.Collection
	keys     *mongodriver.Collection
	catalog  *mongodriver.Collection
	media    *mongodriver.Collection

	// noGeo is set when the database has no 2dsphere index type, as FerretDB 1.24, so that
	// circle and bbox queries fail with a clear error instead of a driver one.
	noGeo bool
}

var _ georeport.Store = (*Store)(nil)

// settings are the choices of open that Open does not expose.
type settings struct {
	// skipIndexes names indexes of the table that open does not create. The tests on
	// FerretDB use it, because FerretDB 1.24 has no 2dsphere index.
	skipIndexes map[string]bool
}

// Open connects to the MongoDB deployment that uri names, a mongodb:// or mongodb+srv://
// connection string, and creates the indexes that the store's queries use. The database is
// the one in the URI's path, DefaultDatabase when the path is empty. Unless the URI sets a
// write concern, writes wait for a majority of the replica set and for the journal, so that
// a request is durable when CreateRequest returns. A nil logger discards the log.
//
// Open returns an error of the kind Invalid when the URI cannot be parsed or names an
// invalid database, Unavailable when no server replies before ctx ends or the driver's
// server selection timeout (30 seconds unless the URI sets serverSelectionTimeoutMS)
// passes, and Internal when an index cannot be created, such as when an index of the same
// name exists with other keys.
func Open(ctx context.Context, uri string, logger *slog.Logger) (*Store, error) {
	const op = "mongo: open"

	database, err := databaseName(uri)
	if err != nil {
		return nil, newError(georeport.Invalid, op, "%w", err)
	}
	opts := options.Client().ApplyURI(uri)
	return open(ctx, opts, database, logger, settings{})
}

// open connects with opts, pings the primary server, and creates the indexes.
func open(ctx context.Context, opts *options.ClientOptions, database string, logger *slog.Logger, cfg settings) (*Store, error) {
	const op = "mongo: open"

	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.WriteConcern == nil {
		opts.SetWriteConcern(&writeconcern.WriteConcern{W: writeconcern.WCMajority, Journal: ptr(true)})
	}

	client, err := mongodriver.Connect(opts)
	if err != nil {
		// Connect only checks the options; it does not reach a server yet.
		return nil, newError(georeport.Invalid, op, "connection string: %w", err)
	}
	db := client.Database(database)
	s := &Store{
		logger:   logger,
		client:   client,
		database: database,
		now:      time.Now,
		requests: db.Collection(requestsCollection),
		keys:     db.Collection(keysCollection),
		catalog:  db.Collection(catalogCollection),
		media:    db.Collection(mediaCollection),
	}

	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		s.disconnect()
		return nil, translate(op, fmt.Errorf("reach a primary server: %w", err))
	}
	created, err := s.createIndexes(ctx, cfg.skipIndexes)
	if err != nil {
		s.disconnect()
		return nil, translate(op, err)
	}

	logger.Info("mongo store opened", "database", database, "indexes", created)
	return s, nil
}

// databaseName returns the database in the path of a mongodb:// or mongodb+srv:// URI, or
// DefaultDatabase when the path is empty. It reads the URI itself, because the driver's
// parser resolves a mongodb+srv:// host in DNS, and Open lets the driver do that once.
func databaseName(uri string) (string, error) {
	var rest string
	switch {
	case strings.HasPrefix(uri, "mongodb://"):
		rest = strings.TrimPrefix(uri, "mongodb://")
	case strings.HasPrefix(uri, "mongodb+srv://"):
		rest = strings.TrimPrefix(uri, "mongodb+srv://")
	default:
		return "", errors.New("the URI must start with mongodb:// or mongodb+srv://")
	}

	// The user information may contain a "/" only percent-encoded, and so may a Unix
	// socket path in the host list, so the first "/" after the last "@" starts the path.
	rest, _, _ = strings.Cut(rest, "?")
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	_, path, found := strings.Cut(rest, "/")
	if !found || path == "" {
		return DefaultDatabase, nil
	}

	name, err := url.PathUnescape(path)
	if err != nil {
		return "", fmt.Errorf("database name in the URI path: %w", err)
	}
	// MongoDB's limits on database names: at most 63 bytes and none of these characters.
	if len(name) > 63 || strings.ContainsAny(name, "/\\. \"$*<>:|?\x00") {
		return "", fmt.Errorf("database name %q in the URI path is invalid: use at most 63 letters, digits, '-' or '_'", name)
	}
	return name, nil
}

// CountRequests returns the number of stored requests, hidden ones included, counted by the
// server rather than estimated from the collection's metadata.
func (s *Store) CountRequests(ctx context.Context) (int, error) {
	n, err := s.requests.CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, translate("mongo: count requests", redact(err))
	}
	return int(n), nil
}

// Ping checks that the primary server of the deployment replies.
//
// Ping returns an error of the kind Unavailable when no primary replies before ctx ends or
// the server selection timeout passes.
func (s *Store) Ping(ctx context.Context) error {
	const op = "mongo: ping"

	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return &georeport.Error{Kind: georeport.Unavailable, Op: op, Err: err}
	}
	return nil
}

// disconnectTimeout bounds how long Close waits for operations in flight.
const disconnectTimeout = 10 * time.Second

// Close disconnects from the deployment after the operations in flight end, waiting at
// most 10 seconds. It returns an error of the kind Unavailable when they do not end in
// time.
func (s *Store) Close() error {
	return translate("mongo: close", s.disconnect())
}

func (s *Store) disconnect() error {
	ctx, cancel := context.WithTimeout(context.Background(), disconnectTimeout)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("disconnect: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
