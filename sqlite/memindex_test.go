package sqlite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/open311-to-go/open311/georeport"
)

// randomRequests returns n requests around a few centres, with repeated times so that the
// order's tie-break on service_request_id matters, and some without location, times or
// status.
func randomRequests(rng *rand.Rand, n int) []georeport.Request {
	return randomRequestsSpread(rng, n, 0.01)
}

// randomRequestsSpread is randomRequests with locations spread by spread degrees of latitude
// and twice that of longitude around each centre.
func randomRequestsSpread(rng *rand.Rand, n int, spread float64) []georeport.Request {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	centres := []georeport.Point{{Lat: 60.17, Long: 24.94}, {Lat: 60.2, Long: 25.0}, {Lat: -33.9, Long: 151.2}, {Lat: 0.001, Long: 179.999}}
	codes := []string{"171", "172", "176", "BIN"}
	agencies := []string{"Rakennusvirasto", "RAKENNUSVIRASTO", "Street Maintenance", ""}
	detailed := []string{"RECEIVED", "IN_PROCESS,PUBLIC_WORKS_NEW", "PROCESSED,PUBLIC_WORKS_COMPLETED", "", "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER"}
	out := make([]georeport.Request, n)
	for i := range out {
		r := georeport.Request{
			ID:                fmt.Sprintf("r%04d", rng.IntN(10*n)),
			ServiceCode:       codes[rng.IntN(len(codes))],
			Status:            []georeport.Status{georeport.StatusOpen, georeport.StatusClosed, ""}[rng.IntN(3)],
			AgencyResponsible: agencies[rng.IntN(len(agencies))],
			DetailedStatus:    detailed[rng.IntN(len(detailed))],
			Jurisdiction:      []string{"", "hel.fi", "espoo.fi"}[rng.IntN(3)],
			Visibility:        []georeport.Visibility{georeport.Public, georeport.Public, georeport.Hidden}[rng.IntN(3)],
			Description:       []string{"Kuoppa kadulla", "Katu on rikki", "roskia", "", "kuoppa katu"}[i%5],
		}
		r.ID = fmt.Sprintf("%s-%d", r.ID, i)
		if rng.IntN(10) > 0 {
			r.Requested = base.Add(time.Duration(rng.IntN(200)) * time.Hour)
			r.Updated = r.Requested.Add(time.Duration(rng.IntN(100)) * time.Hour)
		}
		if rng.IntN(8) > 0 {
			c := centres[rng.IntN(len(centres))]
			r.Location = &georeport.Point{Lat: c.Lat + rng.NormFloat64()*spread, Long: c.Long + rng.NormFloat64()*2*spread}
			r.Location.Long = max(-180, min(180, r.Location.Long))
		}
		if rng.IntN(5) == 0 {
			r.ServiceObjectType, r.ServiceObjectID = "servicemap", fmt.Sprint(rng.IntN(3))
		}
		out[i] = r
	}
	return out
}

// randomQuery returns a query that the in-memory index runs.
func randomQuery(rng *rand.Rand) georeport.Query {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	q := georeport.Query{Offset: rng.IntN(3) * 7, Limit: []int{0, 5, 20}[rng.IntN(3)], IncludeHidden: rng.IntN(4) == 0}
	if rng.IntN(3) == 0 {
		q.ServiceCodes = []string{[]string{"171", "BIN", "999"}[rng.IntN(3)], "176"}[:1+rng.IntN(2)]
	}
	if rng.IntN(3) == 0 {
		q.Statuses = []georeport.Status{[]georeport.Status{georeport.StatusOpen, georeport.StatusClosed}[rng.IntN(2)]}
	}
	if rng.IntN(2) == 0 {
		q.RequestedFrom = base.Add(time.Duration(rng.IntN(100)) * time.Hour)
	}
	if rng.IntN(2) == 0 {
		q.RequestedTo = base.Add(time.Duration(50+rng.IntN(150)) * time.Hour)
	}
	if rng.IntN(4) == 0 {
		q.UpdatedFrom = base.Add(time.Duration(rng.IntN(200)) * time.Hour)
	}
	if rng.IntN(4) == 0 {
		q.UpdatedTo = base.Add(time.Duration(rng.IntN(300)) * time.Hour)
	}
	switch rng.IntN(5) {
	case 0:
		q.Circle = &georeport.Circle{Center: georeport.Point{Lat: 60.17 + rng.NormFloat64()*0.01, Long: 24.94}, Radius: float64(100 + rng.IntN(5000))}
		if rng.IntN(2) == 0 {
			q.Order = georeport.NearestFirst
		}
	case 1:
		q.BBox = &georeport.BBox{MinLong: 24.9, MinLat: 60.15, MaxLong: 24.9 + rng.Float64()*0.2, MaxLat: 60.15 + rng.Float64()*0.1}
	case 2:
		q.Circle = &georeport.Circle{Center: georeport.Point{Lat: 0, Long: -179.99}, Radius: 20_000}
		q.Order = georeport.NearestFirst
	case 3:
		q.Circle = &georeport.Circle{Center: georeport.Point{Lat: 60.17, Long: 24.94}, Radius: float64(100 + rng.IntN(3000))}
		q.BBox = &georeport.BBox{MinLong: 24.93, MinLat: 60.16, MaxLong: 24.93 + rng.Float64()*0.05, MaxLat: 60.16 + rng.Float64()*0.03}
		q.Order = georeport.NearestFirst
	}
	if rng.IntN(5) == 0 {
		q.Agency = "rakennusvirasto"
	}
	if rng.IntN(5) == 0 {
		q.DetailedStatuses = []string{"PUBLIC_WORKS_COMPLETED", "RECEIVED"}[:1+rng.IntN(2)]
	}
	if rng.IntN(6) == 0 {
		q.ServiceObjectType, q.ServiceObjectID = "servicemap", "1"
	}
	if rng.IntN(4) == 0 {
		q.Jurisdiction = "hel.fi"
	}
	return q
}

// TestIndexMatchesSQL runs random queries through the in-memory index and through SQL, and
// requires the same pages, counts and distances.
func TestIndexMatchesSQL(t *testing.T) {
	for _, data := range []struct {
		name     string
		requests int
		spread   float64
		queries  int
		reopen   bool
	}{{"sparse", 600, 0.01, 2000, false}, {"dense", 2500, 0.002, 600, false}, {"dense loaded", 2500, 0.002, 600, true}} {
		t.Run(data.name, func(t *testing.T) {
			testIndexMatchesSQL(t, data.requests, data.spread, data.queries, data.reopen)
		})
	}
}

// testIndexMatchesSQL compares the index with SQL over n random requests. With a small
// spread, many grid cells contain many requests and lie wholly inside the queries' areas.
func testIndexMatchesSQL(t *testing.T, n int, spread float64, queries int, reopen bool) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	rng := rand.New(rand.NewPCG(7, 11))
	requests := randomRequestsSpread(rng, n, spread)
	if _, err := s.ImportRequests(ctx, requests[:n/2]); err != nil {
		t.Fatal(err)
	}
	for i := range requests[n/2:] {
		if err := s.CreateRequest(ctx, &requests[n/2+i]); err != nil {
			t.Fatal(err)
		}
	}
	// Replace some imported requests with new times and places.
	moved := randomRequestsSpread(rng, n/6, spread)
	for i := range moved {
		moved[i].ID = requests[i*3].ID
	}
	if _, err := s.ImportRequests(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if reopen {
		// A new store loads its index from the file in one go, not by writes.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if s, err = Open(ctx, path, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Requests by id come through the index's table of ids and the cache. Each is read twice,
	// so that the second read comes from the cache, and compared with a read by SQL.
	for _, r := range requests[:min(len(requests), 400)] {
		want, err := scanPacked(s.selectRequest.QueryRowContext(ctx, r.ID))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			got, err := s.Request(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("Request(%q) (-SQL +index):\n%s", r.ID, diff)
			}
		}
	}
	if _, err := s.Request(ctx, "no-such-request"); georeport.KindOf(err) != georeport.NotFound {
		t.Fatalf("Request of an unknown id: %v, want NotFound", err)
	}

	checkCellTimes(t, s.current().index)

	matched := 0
	for i := range queries {
		q := randomQuery(rng)
		var fromIndex *georeport.Page
		if i%3 == 0 {
			// Words go to FTS5 and then to the index.
			q.Words = [][]string{{"kuoppa"}, {"katu"}, {"Kuoppa", "katu"}, {"!!"}, {"puuttuu"}}[rng.IntN(5)]
			if !s.current().index.supportsAmong(&q) {
				t.Fatalf("query %d %+v is not one the index runs among the rows of its words", i, q)
			}
			fromIndex, err = s.findByWords(ctx, &q, s.current())
		} else {
			if !s.current().index.supports(&q) {
				t.Fatalf("query %d %+v is not one the index runs", i, q)
			}
			fromIndex, err = s.findInIndex(ctx, &q)
		}
		if err != nil {
			t.Fatal(err)
		}
		fromSQL, err := s.findInSQL(ctx, &q)
		if err != nil {
			t.Fatal(err)
		}
		matched += fromIndex.Total
		if fromIndex.Total != fromSQL.Total {
			t.Fatalf("query %d %+v: index total %d, SQL total %d", i, q, fromIndex.Total, fromSQL.Total)
		}
		if diff := cmp.Diff(pageIDs(fromIndex), pageIDs(fromSQL)); diff != "" {
			t.Fatalf("query %d %+v: page ids (-index +SQL):\n%s", i, q, diff)
		}
		if diff := cmp.Diff(fromIndex.Distances, fromSQL.Distances); diff != "" {
			t.Fatalf("query %d %+v: distances (-index +SQL):\n%s", i, q, diff)
		}
		if diff := cmp.Diff(fromIndex.Requests, fromSQL.Requests); diff != "" {
			t.Fatalf("query %d %+v: requests (-index +SQL):\n%s", i, q, diff)
		}
	}
	if matched < 20_000 {
		t.Errorf("the queries matched %d requests in all; the test needs queries that match", matched)
	}
	t.Logf("%d queries matched %d requests in all", queries, matched)
}

// checkCellTimes checks that each cell's filing times and spots are those of its rows, in
// its order.
func checkCellTimes(t *testing.T, m *memIndex) {
	t.Helper()
	m.mu.RLock()
	defer m.mu.RUnlock()
	for key, cell := range m.cells {
		slots := cell.slots
		want := make([]int64, len(slots))
		spots := make([]cellSpot, len(slots))
		for i, slot := range slots {
			want[i] = m.filed[slot]
			spots[i] = spotOf(key, m.places[slot])
		}
		if diff := cmp.Diff(want, cell.filed); diff != "" {
			t.Fatalf("cell %v times (-rows +cell):\n%s", key, diff)
		}
		if diff := cmp.Diff(spots, cell.spots, cmp.AllowUnexported(cellSpot{})); diff != "" {
			t.Fatalf("cell %v spots (-rows +cell):\n%s", key, diff)
		}
	}
}

func pageIDs(p *georeport.Page) []string {
	ids := make([]string, len(p.Requests))
	for i, r := range p.Requests {
		ids[i] = r.ID
	}
	return ids
}

// TestIndexSeesOtherProcesses writes through a second store on the same file, as an import
// beside a running server does, and checks that the first store's lists show the writes
// after a refresh.
func TestIndexSeesOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	server := openFile(t, path)
	importer := openFile(t, path)

	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	first := georeport.Request{ID: "a", Status: georeport.StatusOpen, Requested: at, Updated: at, ServiceCode: "171",
		Location: &georeport.Point{Lat: 60.17, Long: 24.94}}
	if _, err := importer.ImportRequests(ctx, []georeport.Request{first}); err != nil {
		t.Fatal(err)
	}
	moved := first
	moved.Location = &georeport.Point{Lat: 61.5, Long: 23.8}
	moved.Status = georeport.StatusClosed
	second := georeport.Request{ID: "b", Status: georeport.StatusOpen, Requested: at.Add(time.Hour), Updated: at.Add(time.Hour), ServiceCode: "176"}
	if _, err := importer.ImportRequests(ctx, []georeport.Request{moved, second}); err != nil {
		t.Fatal(err)
	}

	if err := server.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := server.FindRequests(ctx, &georeport.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := pageIDs(all); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("after the other process's writes, the list is %v, want [b a]", got)
	}
	near, err := server.FindRequests(ctx, &georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 61.5, Long: 23.8}, Radius: 100}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := pageIDs(near); !slices.Equal(got, []string{"a"}) {
		t.Errorf("at the moved request's new place the list is %v, want [a]", got)
	}
	closed, err := server.FindRequests(ctx, &georeport.Query{Statuses: []georeport.Status{georeport.StatusClosed}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if closed.Total != 1 {
		t.Errorf("closed requests: %d, want 1", closed.Total)
	}
}

// TestWordsSeeOtherProcessesAtOnce replaces a request's text and status from a second store
// on the same file, and checks that a search by words on the first store, before its
// refresh, finds the request under its new status only.
func TestWordsSeeOtherProcessesAtOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	server := openFile(t, path)
	importer := openFile(t, path)

	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	old := georeport.Request{ID: "a", Status: georeport.StatusOpen, Requested: at, Updated: at, ServiceCode: "171",
		Description: "vanha kuoppa"}
	if _, err := server.ImportRequests(ctx, []georeport.Request{old}); err != nil {
		t.Fatal(err)
	}
	replaced := old
	replaced.Description = "uusi valaisin"
	replaced.Status = georeport.StatusClosed
	if _, err := importer.ImportRequests(ctx, []georeport.Request{replaced}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		word   string
		status georeport.Status
		want   int
	}{{"valaisin", georeport.StatusClosed, 1}, {"valaisin", georeport.StatusOpen, 0}, {"kuoppa", georeport.StatusOpen, 0}} {
		page, err := server.FindRequests(ctx, &georeport.Query{Words: []string{c.word}, Statuses: []georeport.Status{c.status}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != c.want {
			t.Errorf("before the refresh, %s requests with the word %q: %d, want %d", c.status, c.word, page.Total, c.want)
		}
	}
}

func TestGrownAddsASixteenth(t *testing.T) {
	s := make([]int64, 1<<20)
	g := grown(s, 1)
	if len(g) != len(s) || cap(g) != len(s)+len(s)/16 {
		t.Errorf("grown of a full slice of %d: len %d, cap %d, want cap %d", len(s), len(g), cap(g), len(s)+len(s)/16)
	}
	if g2 := grown(g, 10); cap(g2) != cap(g) {
		t.Errorf("grown of a slice with room: cap %d, want %d", cap(g2), cap(g))
	}
	if g3 := grown([]byte{}, 5000); cap(g3) < 5000 {
		t.Errorf("grown of an empty slice by 5000: cap %d", cap(g3))
	}
}

// TestRefreshSkipsOwnWrites checks that a refresh does not read again the rows that this
// process wrote, and still reads those of another process written between them.
func TestRefreshSkipsOwnWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	server := openFile(t, path)
	other := openFile(t, path)

	// Only the refreshes of the test run, so that none falls between the writes.
	server.stopRefresh()
	<-server.refreshDone
	latest := func() int64 {
		var seq int64
		if err := server.readers.QueryRowContext(ctx, `SELECT seq FROM request_changes WHERE id = 1`).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		return seq
	}
	known := func() int64 {
		server.refreshMu.Lock()
		defer server.refreshMu.Unlock()
		return server.knownChange
	}

	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	request := func(id string) georeport.Request {
		return georeport.Request{ID: id, Status: georeport.StatusOpen, Requested: at, Updated: at, ServiceCode: "171"}
	}
	own := request("own-1")
	if err := server.CreateRequest(ctx, &own); err != nil {
		t.Fatal(err)
	}
	if _, err := server.ImportRequests(ctx, []georeport.Request{request("own-2"), request("own-3")}); err != nil {
		t.Fatal(err)
	}
	if got, want := known(), latest(); got != want {
		t.Fatalf("after this process's writes, the index knows changes up to %d, want %d", got, want)
	}

	// Another process writes, then this one: the index must not skip the other's row.
	if _, err := other.ImportRequests(ctx, []georeport.Request{request("other-1")}); err != nil {
		t.Fatal(err)
	}
	afterOther := known()
	own = request("own-4")
	if err := server.CreateRequest(ctx, &own); err != nil {
		t.Fatal(err)
	}
	if got := known(); got != afterOther {
		t.Fatalf("after a write that follows another process's, the index knows changes up to %d, want %d still", got, afterOther)
	}
	if err := server.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := server.FindRequests(ctx, &georeport.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 5 {
		t.Errorf("after a refresh the index counts %d requests %v, want 5", page.Total, pageIDs(page))
	}
	if got, want := known(), latest(); got != want {
		t.Errorf("after a refresh the index knows changes up to %d, want %d", got, want)
	}
}

// randomNearCircle returns a query with a circle of up to 5 km, at a latitude up to 70° and
// a longitude up to maxLong on either side.
func randomNearCircle(rng *rand.Rand, maxLong float64) georeport.Query {
	return georeport.Query{Circle: &georeport.Circle{
		Center: georeport.Point{Lat: (rng.Float64()*2 - 1) * maxNearLat, Long: (rng.Float64()*2 - 1) * maxLong},
		Radius: 1 + rng.Float64()*(maxNearRadius-1),
	}}
}

// destination returns the point at angle radians from start on a sphere, at bearing
// radians from north.
func destination(start georeport.Point, bearing, angle float64) georeport.Point {
	lat1 := start.Lat * math.Pi / 180
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(angle) + math.Cos(lat1)*math.Sin(angle)*math.Cos(bearing))
	long2 := start.Long*math.Pi/180 + math.Atan2(math.Sin(bearing)*math.Sin(angle)*math.Cos(lat1),
		math.Cos(angle)-math.Sin(lat1)*math.Sin(lat2))
	return georeport.Point{Lat: lat2 * 180 / math.Pi, Long: long2 * 180 / math.Pi}
}

// visitPointsNearEdges draws 2,000 circles that nearCheck takes, at latitudes up to 70°, and
// calls visit for 50 points around the edge of each, at a bearing drawn at random and a
// distance from the edge that offset draws, in metres.
func visitPointsNearEdges(rng *rand.Rand, offset func() float64, visit func(q georeport.Query, check *nearCheck, p georeport.Point)) {
	for range 2000 {
		q := randomNearCircle(rng, 179)
		check := newNearCheck(&q)
		if check == nil {
			continue
		}
		for range 50 {
			bearing := rng.Float64() * 2 * math.Pi
			distance := q.Circle.Radius + offset()
			visit(q, check, destination(q.Circle.Center, bearing, distance/georeport.EarthRadius))
		}
	}
}

// TestNearCheckAgreesWithDistance places points around circles of up to 5 km at latitudes up
// to 70°, many of them within metres of the edge. Every place that the flat check decides
// must be decided as the exact distance decides it.
func TestNearCheckAgreesWithDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	decided, undecided := 0, 0
	offset := func() float64 { return rng.NormFloat64() * 20 }
	visitPointsNearEdges(rng, offset, func(q georeport.Query, check *nearCheck, p georeport.Point) {
		inside, ok := check.check(p)
		if !ok {
			undecided++
			return
		}
		decided++
		if want := georeport.Distance(q.Circle.Center, p) <= q.Circle.Radius; inside != want {
			t.Fatalf("circle %+v, point %+v at %.3f m: check says inside = %v, the distance says %v",
				q.Circle, p, georeport.Distance(q.Circle.Center, p), inside, want)
		}
	})
	if decided < 50_000 {
		t.Errorf("the check decided %d points and left %d undecided; the test needs more decided ones", decided, undecided)
	}
}

// TestNearBoundsContainDistance checks that the bounds of nearCheck contain the exact
// distance, for points anywhere in the box around a circle that nearCheck takes and beyond.
func TestNearBoundsContainDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	checked := 0
	for range 2000 {
		q := randomNearCircle(rng, 170)
		check := newNearCheck(&q)
		if check == nil {
			continue
		}
		for range 50 {
			// A bearing and a distance up to beyond maxBoundsDistance, turned into degrees on a
			// sphere.
			bearing := rng.Float64() * 2 * math.Pi
			angle := rng.Float64() * 1.2 * maxBoundsDistance / georeport.EarthRadius
			p := destination(q.Circle.Center, bearing, angle)
			low, high := check.bounds(p)
			exact := georeport.Distance(q.Circle.Center, p)
			if low > exact || high < exact {
				t.Fatalf("centre %+v, point %+v: bounds %.4f to %.4f m leave out the distance %.4f m", q.Circle.Center, p, low, high, exact)
			}
			checked++
		}
	}
	if checked < 50_000 {
		t.Errorf("checked %d points; the test needs more", checked)
	}
}

// TestSpotsDecideAsPlaces puts points within millimetres to metres of the edges of circles
// and boxes. Every row that a spot decides must be decided as its exact place decides it,
// by the distance for a circle and by Contains for a box. A spot's place must lie within
// spotError of the row's place, and the flat lower bound at the spot, less spotError, must
// not exceed the distance.
func TestSpotsDecideAsPlaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	decided, undecided := 0, 0
	offset := func() float64 { return rng.NormFloat64() * math.Pow(10, -3+4*rng.Float64()) }
	visitPointsNearEdges(rng, offset, func(q georeport.Query, check *nearCheck, p georeport.Point) {
		key := cellOf(p.Lat, p.Long)
		spot := spotOf(key, p)
		if d := georeport.Distance(p, spot.place(key)); d > spotError/2 {
			t.Fatalf("point %+v: the place of its spot is %.4f m away", p, d)
		}
		exact := georeport.Distance(q.Circle.Center, p)
		if low, _ := check.bounds(spot.place(key)); low-spotError > exact {
			t.Fatalf("circle %+v, point %+v: the lower bound at its spot, %.4f m, exceeds the distance %.4f m", q.Circle, p, low-spotError, exact)
		}
		inside, ok := check.checkSpot(spot.place(key))
		if !ok {
			undecided++
			return
		}
		decided++
		if want := exact <= q.Circle.Radius; inside != want {
			t.Fatalf("circle %+v, point %+v at %.4f m: its spot gives inside = %v, the distance gives %v", q.Circle, p, exact, inside, want)
		}
	})

	for range 2000 {
		lat, long := rng.Float64()*160-80, rng.Float64()*358-179
		box := georeport.BBox{MinLat: lat, MinLong: long, MaxLat: lat + rng.Float64()*0.02, MaxLong: long + rng.Float64()*0.04}
		for range 50 {
			// A point near one of the edges, or anywhere around the box.
			p := georeport.Point{
				Lat:  box.MinLat - 0.005 + rng.Float64()*(box.MaxLat-box.MinLat+0.01),
				Long: box.MinLong - 0.01 + rng.Float64()*(box.MaxLong-box.MinLong+0.02),
			}
			offset := rng.NormFloat64() * math.Pow(10, -9+4*rng.Float64())
			switch rng.IntN(5) {
			case 0:
				p.Lat = []float64{box.MinLat, box.MaxLat}[rng.IntN(2)] + offset
			case 1:
				p.Long = []float64{box.MinLong, box.MaxLong}[rng.IntN(2)] + offset
			}
			key := cellOf(p.Lat, p.Long)
			sb := spotBoxOf(&box, key)
			inside, ok := sb.test(spotOf(key, p))
			if !ok {
				undecided++
				continue
			}
			decided++
			if want := box.Contains(p); inside != want {
				t.Fatalf("box %+v, point %+v: its spot gives inside = %v, Contains returns %v", box, p, inside, want)
			}
		}
	}
	if decided < 80_000 {
		t.Errorf("the spots decided %d points and left %d undecided; the test needs more decided ones", decided, undecided)
	}
}
