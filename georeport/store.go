package georeport

import (
	"context"
	"time"
)

// Store keeps requests, API keys and the catalog. Every implementation passes the contract
// suite in package storetest, so that the server behaves the same on each.
//
// Methods return an *Error whose kind tells the failure: NotFound for a missing request,
// token, key or catalog; Conflict for an id, token or key name that exists already;
// Unavailable when the database cannot be reached; Internal otherwise.
type Store interface {
	// CreateRequest stores a new request with its id, token and every field in one atomic
	// write. When CreateRequest returns nil, the request is durable.
	CreateRequest(ctx context.Context, r *Request) error
	// ImportRequests inserts or replaces requests by service_request_id. A replaced request
	// keeps its token, reporter data, attributes and visibility. Importing the same records
	// twice leaves the store as it was after the first time.
	//
	// replaced counts the requests of rs that replaced a stored one: those whose id the store
	// had before the call or an earlier request of rs had. The others are new to the store.
	ImportRequests(ctx context.Context, rs []Request) (replaced int, err error)
	// Request returns the request with the id, hidden or not. The slices of the request may
	// be shared with a store's cache, so callers must not change their elements.
	Request(ctx context.Context, id string) (*Request, error)
	// RequestIDByToken returns the id of the request filed under a batch token.
	RequestIDByToken(ctx context.Context, token string) (string, error)
	// FindRequests returns one page of the requests that match q, and the count of all
	// matches.
	FindRequests(ctx context.Context, q *Query) (*Page, error)

	// Catalog returns the catalog file saved last, or NotFound.
	Catalog(ctx context.Context) ([]byte, error)
	// SaveCatalog replaces the saved catalog file.
	SaveCatalog(ctx context.Context, data []byte) error

	// CreateKey stores a new API key; Conflict when the name is taken.
	CreateKey(ctx context.Context, k *Key) error
	// KeyByHash returns the key whose hash is hash, active or revoked.
	KeyByHash(ctx context.Context, hash string) (*Key, error)
	// Keys returns every key, revoked ones included, ordered by name.
	Keys(ctx context.Context) ([]Key, error)
	// RevokeKey marks the key with the name as revoked.
	RevokeKey(ctx context.Context, name string) error

	// ReserveMedia records that a file is being stored for a request that does not exist
	// yet, before the file is stored. A reservation that is never released marks a file
	// that a crash may have orphaned.
	ReserveMedia(ctx context.Context, m MediaReservation) error
	// ReleaseMedia deletes the reservations of the named files; unknown names are ignored.
	ReleaseMedia(ctx context.Context, names []string) error
	// StaleMedia returns at most limit reservations made before the time, oldest first.
	StaleMedia(ctx context.Context, before time.Time, limit int) ([]MediaReservation, error)
	// MediaInUse returns the URLs, of those given, that a stored request lists as its
	// media_url or in its media_urls.
	MediaInUse(ctx context.Context, urls []string) (map[string]bool, error)

	// Ping checks that the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Page is one page of a request query.
type Page struct {
	// Requests may be shared with a store's cache, so callers must not change them.
	Requests []*Request
	// Distances holds each request's distance in metres from the query's circle centre, in
	// the order of Requests; nil without a circle.
	Distances []float64
	// Total is the number of requests that match, over all pages.
	Total int
}

// PartStore is a Store that can hand over a page of FindRequests in parts, so that a long
// page is encoded and sent without holding all its requests at once.
type PartStore interface {
	Store
	// FindRequestsInParts runs q as FindRequests does and calls part with the page's
	// requests in order, at most size at a time. Every part has the Total of all matches,
	// and a page without requests comes as one empty part. It stops at the first error of
	// part and returns it.
	FindRequestsInParts(ctx context.Context, q *Query, size int, part func(*Page) error) error
}

// MediaReservation is a file that a POST stores before it stores its request.
type MediaReservation struct {
	Name     string // the file's name in the media store
	URL      string // the URL the request will list
	Reserved time.Time
}

// Key roles.
const (
	RoleClient = "client" // may POST requests
	RoleStaff  = "staff"  // may also change requests
)

// Key is an API key as stored: its hash, never the key itself.
type Key struct {
	Name    string
	Role    string
	Hash    string // hex SHA-256 of the key
	Active  bool
	Created time.Time
}
