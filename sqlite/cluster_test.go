package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/open311-to-go/open311/georeport"
)

// clusterQueries are random index queries, and searches by words that run in SQL.
func clusterQueries(rng *rand.Rand, n int) []georeport.Query {
	queries := make([]georeport.Query, n)
	for i := range queries {
		queries[i] = randomQuery(rng)
	}
	for _, words := range [][]string{{"kuoppa"}, {"roska", "katu"}, {"lamp"}} {
		queries = append(queries, georeport.Query{Words: words, Limit: 50, IncludeHidden: true})
	}
	return queries
}

// clusterRequests returns randomRequests with words to search for.
func clusterRequests(rng *rand.Rand, n int) []georeport.Request {
	requests := randomRequests(rng, n)
	words := []string{"kuoppa", "roska", "katu", "lamp", "Mannerheimintie"}
	for i := range requests {
		requests[i].Title = words[rng.IntN(len(words))]
		requests[i].Description = fmt.Sprintf("%s %s %d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], i)
		requests[i].Address = words[rng.IntN(len(words))] + " 1"
	}
	return requests
}

// resultsOf runs each query and request lookup, and returns their results.
func resultsOf(t *testing.T, s *Store, queries []georeport.Query, ids []string) []any {
	t.Helper()
	ctx := context.Background()
	var out []any
	for i := range queries {
		page, err := s.FindRequests(ctx, &queries[i])
		if err != nil {
			t.Fatalf("query %+v: %v", queries[i], err)
		}
		out = append(out, page.Total, pageIDs(page), page.Distances)
	}
	for _, id := range ids {
		r, err := s.Request(ctx, id)
		if err != nil {
			t.Fatalf("Request(%q): %v", id, err)
		}
		out = append(out, r)
	}
	return out
}

// TestClusterKeepsResults clusters a store, and requires every query and lookup to give the
// same results afterwards: on the store that clustered, on a second store that had the file
// open with a full cache, and on a store opened afterwards. The rows must then lie in the
// order of their places, and a new request must be stored after them.
func TestClusterKeepsResults(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	path := filepath.Join(t.TempDir(), "cluster.db")
	s := openFile(t, path)
	server := openFile(t, path)
	requests := clusterRequests(rng, 1500)
	if _, err := s.ImportRequests(ctx, requests); err != nil {
		t.Fatal(err)
	}
	if err := server.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	queries := clusterQueries(rng, 150)
	var ids []string
	for _, r := range requests[:200] {
		ids = append(ids, r.ID)
	}
	want := resultsOf(t, s, queries, ids)
	// The server reads these only after Cluster, so their rows are not in its cache.
	unread := clusterQueries(rng, 60)
	wantUnread := resultsOf(t, s, unread, nil)
	// Read everything twice, so that the server's cache holds rows under the old row ids.
	for range 2 {
		if diff := cmp.Diff(want, resultsOf(t, server, queries, ids)); diff != "" {
			t.Fatalf("second store before Cluster (-want +got):\n%s", diff)
		}
	}

	result, err := s.Cluster(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if result.Requests != len(requests) {
		t.Errorf("Cluster wrote %d requests, want %d", result.Requests, len(requests))
	}
	if info, err := os.Stat(path + "-wal"); err != nil {
		t.Error(err)
	} else if info.Size() != 0 {
		t.Errorf("after Cluster the WAL has %d bytes, want it truncated", info.Size())
	}
	if diff := cmp.Diff(want, resultsOf(t, s, queries, ids)); diff != "" {
		t.Errorf("after Cluster (-want +got):\n%s", diff)
	}
	var automerge string
	if err := s.readers.QueryRowContext(ctx, `SELECT v FROM request_words_config WHERE k = 'automerge'`).Scan(&automerge); err != nil {
		t.Errorf("after Cluster, the automerge option of the search words: %v", err)
	} else if automerge != strconv.Itoa(wordsAutomerge) {
		t.Errorf("after Cluster, automerge = %s, want %d", automerge, wordsAutomerge)
	}

	// Before its refresh, the server's index names rows by their old ids, and it reads the
	// rows that moved by their service_request_ids, so its pages stay whole.
	if diff := cmp.Diff(want, resultsOf(t, server, queries, ids)); diff != "" {
		t.Errorf("second store before its refresh, cached pages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantUnread, resultsOf(t, server, unread, nil)); diff != "" {
		t.Errorf("second store before its refresh, pages read for the first time (-want +got):\n%s", diff)
	}
	for _, id := range ids {
		r, err := server.Request(ctx, id)
		if err != nil || r.ID != id {
			t.Fatalf("before its refresh, the server's Request(%q) gave %v, %v", id, r, err)
		}
	}
	if err := server.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, resultsOf(t, server, queries, ids)); diff != "" {
		t.Errorf("second store after its refresh (-want +got):\n%s", diff)
	}
	checkCellTimes(t, server.current().index)

	reopened := openFile(t, path)
	if diff := cmp.Diff(want, resultsOf(t, reopened, queries, ids)); diff != "" {
		t.Errorf("store opened after Cluster (-want +got):\n%s", diff)
	}

	// Row ids now follow the places.
	rows, err := s.readers.QueryContext(ctx, `SELECT open311_place_order(lat, long) FROM requests ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var last, n int64
	for rows.Next() {
		var order int64
		if err := rows.Scan(&order); err != nil {
			t.Fatal(err)
		}
		if order < last {
			t.Fatalf("row %d has place order %d after %d", n+1, order, last)
		}
		last, n = order, n+1
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	// A request filed on the server after Cluster gets the next row id and shows in lists.
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	created := georeport.Request{ID: "after-cluster", ServiceCode: "171", Status: georeport.StatusOpen, Requested: at, Updated: at,
		Title: "kuoppa", Location: &georeport.Point{Lat: 60.17, Long: 24.94}}
	if err := server.CreateRequest(ctx, &created); err != nil {
		t.Fatal(err)
	}
	near, err := server.FindRequests(ctx, &georeport.Query{Circle: &georeport.Circle{Center: *created.Location, Radius: 1}, Limit: 5, Order: georeport.NearestFirst})
	if err != nil {
		t.Fatal(err)
	}
	if ids := pageIDs(near); len(ids) == 0 || ids[0] != created.ID {
		t.Errorf("nearest to the new request: %v, want it first", ids)
	}
	found, err := reopened.FindRequests(ctx, &georeport.Query{Words: []string{"kuoppa"}, Limit: 5000, IncludeHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	if !containsID(pageIDs(found), created.ID) {
		t.Errorf("a search for its word does not find the new request")
	}
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestClusterOfEmptyStore clusters a store without requests.
func TestClusterOfEmptyStore(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "empty.db"))
	result, err := s.Cluster(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if result.Requests != 0 {
		t.Errorf("Cluster of an empty store wrote %d requests", result.Requests)
	}
}

func TestPlaceOrderKeepsNeighboursNear(t *testing.T) {
	order := func(lat, long float64) int64 {
		v, err := placeOrder(nil, []driver.Value{lat, long})
		if err != nil {
			t.Fatal(err)
		}
		return v.(int64)
	}
	a := order(60.1701, 24.9401)
	if b := order(60.1702, 24.9402); a != b {
		t.Errorf("two places in one cell got %d and %d", a, b)
	}
	if b := order(60.1701+cellLat, 24.9401); b == a {
		t.Errorf("the cell to the north has the same order %d", a)
	}
	if none, err := placeOrder(nil, []driver.Value{nil, nil}); err != nil || none.(int64) <= order(89.9, 179.9) {
		t.Errorf("a request without a place got %v, %v; want after every place", none, err)
	}
	if south, north := order(-33.9, 151.2), order(60.17, 24.94); south >= north {
		t.Errorf("southern place %d sorts after northern %d", south, north)
	}
}
