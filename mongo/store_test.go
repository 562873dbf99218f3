package mongo

import (
	"os"
	"testing"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/storetest"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// mongoURIVariable names the environment variable with the URI of a MongoDB deployment for
// TestStoreMongoDB. Each subtest uses a new database there and drops it at the end.
const mongoURIVariable = "OPEN311_TEST_MONGODB_URI"

func clientOptions(uri string) *options.ClientOptions {
	return options.Client().ApplyURI(uri)
}

// TestStoreFerretDB runs the contract suite on FerretDB 1.24 with its SQLite backend, which
// speaks MongoDB's wire protocol. It replaces MongoDB where no MongoDB runs, so it
// tests the documents, indexes, filters, sorts, counts, bulk upserts and error kinds, but
// not the geospatial queries.
func TestStoreFerretDB(t *testing.T) {
	uri := ferretDBURI(t)

	storetest.Run(t, func(t *testing.T) georeport.Store {
		return openTestStore(t, uri, ferretDBSettings)
	}, storetest.Options{Skip: ferretDBSkips()})
}

// TestStoreMongoDB runs the whole contract suite on the MongoDB deployment that
// OPEN311_TEST_MONGODB_URI names, such as mongodb://127.0.0.1:27017 for a server started
// with docker run -d -p 127.0.0.1:27017:27017 mongo:8.
func TestStoreMongoDB(t *testing.T) {
	uri := os.Getenv(mongoURIVariable)
	if uri == "" {
		t.Skipf("set %s to the URI of a MongoDB deployment to run the contract suite on it", mongoURIVariable)
	}

	storetest.Run(t, func(t *testing.T) georeport.Store {
		return openTestStore(t, uri, settings{})
	})
}

// ferretDBSkips returns the contract cases that FerretDB 1.24 cannot run, with the reason.
// Each of them runs on MongoDB in TestStoreMongoDB.
func ferretDBSkips() map[string]string {
	const geo = "FerretDB 1.24 has no $geoWithin, $geoNear or 2dsphere index"
	names := []string{
		"FindRequests/bbox",
		"FindRequests/bbox edges inclusive",
		"FindRequests/bbox edge just past a point",
		"FindRequests/bbox degenerate to a point",
		"FindRequests/bbox empty sea",
		"FindRequests/bbox whole world",
		"FindRequests/bbox without filing time",
		"FindRequests/bbox with dates skips no filing time",
		"FindRequests/bbox from 1970 skips no filing time",
		"FindRequests/bbox and service code and status",
		"FindRequests/bbox and dates",
		"FindRequests/circle newest first",
		"FindRequests/circle nearest first",
		"FindRequests/circle radius reaches a point",
		"FindRequests/circle radius short of a point",
		"FindRequests/circle include hidden",
		"FindRequests/circle 5 km",
		"FindRequests/circle and service code",
		"FindRequests/circle across the antimeridian from the west",
		"FindRequests/circle across the antimeridian from the east",
		"FindRequests/circle near a pole",
		"FindRequests/circle on a pole",
		"FindRequests/circle nearest first ties",
		"FindRequests/circle and dates",
		"FindRequests/circle and dates inclusive",
		"FindRequests/circle without filing time",
		"FindRequests/circle and bbox",
		"FindRequests/circle empty",
		// Its checks of the old and new location are circle and box queries.
		"ImportRequests/replace updates queries",
		"Paging/nearest first",
	}
	skip := make(map[string]string, len(names))
	for _, name := range names {
		skip[name] = geo
	}
	return skip
}
