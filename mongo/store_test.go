package mongo

import (
	"context"
	"os"
	"strings"
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

// testDeployment returns the URI and settings of the MongoDB deployment of
// OPEN311_TEST_MONGODB_URI when it is set, else of FerretDB, and whether it is MongoDB.
func testDeployment(t *testing.T) (string, settings, bool) {
	t.Helper()

	if uri := os.Getenv(mongoURIVariable); uri != "" {
		return uri, settings{}, true
	}
	return ferretDBURI(t), ferretDBSettings, false
}

func TestImportReportsEachFailure(t *testing.T) {
	ctx := context.Background()
	uri, cfg, onMongo := testDeployment(t)
	s := openTestStore(t, uri, cfg)
	const token = "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1"
	if err := s.CreateRequest(ctx, &georeport.Request{ID: "sr-1", Token: token}); err != nil {
		t.Fatalf("CreateRequest error = %v", err)
	}

	rs := []georeport.Request{
		{ID: "sr-2", Token: token, Description: "takes the token of sr-1"},
		{ID: "sr-3", Description: "stored"},
	}
	_, err := s.ImportRequests(ctx, rs)
	if got := georeport.KindOf(err); got != georeport.Conflict {
		t.Fatalf("ImportRequests error kind = %v, want %v (error %v)", got, georeport.Conflict, err)
	}
	message := err.Error()
	if want := `request 1 (service_request_id "sr-2"): duplicate key`; !strings.Contains(message, want) {
		t.Errorf("ImportRequests error = %q, want it to contain %q", message, want)
	}
	if strings.Contains(message, token) {
		t.Errorf("ImportRequests error = %q, which quotes the duplicate token", message)
	}

	// FerretDB 1.24 ignores ordered: false and stops an update command at its first failure,
	// so only MongoDB stores the requests after the one that failed.
	if _, err := s.Request(ctx, "sr-3"); onMongo && err != nil {
		t.Errorf("Request(%q) after a partly failed import error = %v, want the request stored", "sr-3", err)
	}
	if _, err := s.Request(ctx, "sr-2"); georeport.KindOf(err) != georeport.NotFound {
		t.Errorf("Request(%q) after its import failed error = %v, want kind %v", "sr-2", err, georeport.NotFound)
	}
}

func TestCreateRequestConflictQuotesNoValue(t *testing.T) {
	ctx := context.Background()
	uri, cfg, _ := testDeployment(t)
	s := openTestStore(t, uri, cfg)
	const token = "8f14e45f-ceea-467f-a0e6-f3d1a2b7c9d1"
	if err := s.CreateRequest(ctx, &georeport.Request{ID: "sr-1", Token: token}); err != nil {
		t.Fatalf("CreateRequest error = %v", err)
	}

	err := s.CreateRequest(ctx, &georeport.Request{ID: "sr-2", Token: token})
	if got := georeport.KindOf(err); got != georeport.Conflict {
		t.Fatalf("CreateRequest with a taken token error kind = %v, want %v (error %v)", got, georeport.Conflict, err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("CreateRequest with a taken token error = %q, which quotes the token", err)
	}
}
