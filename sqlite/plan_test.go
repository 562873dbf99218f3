package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// TestQueryPlans checks with EXPLAIN QUERY PLAN that the list queries that run in SQL, by
// words or by id, search an index instead of scanning requests, both on a new database and
// after ANALYZE has given the planner statistics. A scan would read every row on each call.
// Other list queries run in the in-memory index.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Memory, nil)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", Memory, err)
	}
	defer s.Close()

	const n = 5000
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]georeport.Request, n)
	for i := range batch {
		batch[i] = georeport.Request{
			ID:          fmt.Sprintf("sr-%05d", i),
			ServiceCode: fmt.Sprint(170 + i%10),
			Status:      []georeport.Status{georeport.StatusOpen, georeport.StatusClosed}[i%2],
			Requested:   start.Add(time.Duration(i) * time.Hour),
			Updated:     start.Add(time.Duration(i)*time.Hour + time.Minute),
			Location:    &georeport.Point{Lat: 60.1 + float64(i%100)/500, Long: 24.7 + float64(i/100)/100},
			Description: fmt.Sprintf("word%d", i%100),
		}
	}
	if _, err := s.ImportRequests(ctx, batch); err != nil {
		t.Fatalf("ImportRequests error = %v", err)
	}

	now := start.Add(n * time.Hour)
	window := func(q georeport.Query, days int) georeport.Query {
		q.RequestedFrom = now.Add(-time.Duration(days) * 24 * time.Hour)
		q.RequestedTo = now
		q.Limit = 100
		return q
	}
	tests := []struct {
		name      string
		q         georeport.Query
		wantIndex string // an index or virtual table that the plan must use
	}{
		{name: "words", q: window(georeport.Query{Words: []string{"word7"}}, 90), wantIndex: "request_words"},
		{name: "words and service code", q: window(georeport.Query{Words: []string{"word7"}, ServiceCodes: []string{"171"}}, 90), wantIndex: "request_words"},
		{name: "words in a circle", q: window(georeport.Query{Words: []string{"word7"}, Circle: &georeport.Circle{Center: georeport.Point{Lat: 60.2, Long: 24.9}, Radius: 1000}, Order: georeport.NearestFirst}, 90), wantIndex: "request_words"},
		{name: "ids", q: georeport.Query{IDs: []string{"sr-00001", "sr-00002"}, Limit: 100}, wantIndex: "sqlite_autoindex_requests_1"},
	}
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if _, err := s.writer.ExecContext(ctx, "ANALYZE"); err != nil {
				t.Fatalf("ANALYZE error = %v", err)
			}
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s analyzed %v", tc.name, analyzed), func(t *testing.T) {
				built := buildQuery(&tc.q)
				plan := explain(t, s, built.selectSQL, built.selectArgs)
				for _, line := range plan {
					if strings.HasPrefix(line, "SCAN requests") {
						t.Errorf("query plan of %s scans requests:\n%s", tc.name, strings.Join(plan, "\n"))
					}
				}
				if !strings.Contains(strings.Join(plan, "\n"), tc.wantIndex) {
					t.Errorf("query plan of %s does not use %s:\n%s", tc.name, tc.wantIndex, strings.Join(plan, "\n"))
				}
			})
		}
	}
}

// explain returns the detail lines of the query plan of a statement.
func explain(t *testing.T, s *Store, query string, args []any) []string {
	t.Helper()

	rows, err := s.readers.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN error = %v", err)
	}
	defer rows.Close()

	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("read query plan: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read query plan: %v", err)
	}
	return plan
}
