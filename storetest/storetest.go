// Package storetest is the contract suite that every georeport.Store implementation runs,
// so that the server behaves the same on each store.
//
// A store's test calls Run with a function that opens an empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) georeport.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), nil)
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite also fixes what georeport.Store leaves open. Times are kept in whole seconds
// and returned in UTC, and a time bound compares to the second. An empty Visibility is
// stored as Public. A request list leaves out hidden requests unless the query includes
// them, also when it selects requests by id.
package storetest

import (
	"strings"
	"testing"

	"github.com/open311-to-go/open311/georeport"
)

// Options adjusts the suite for one store.
type Options struct {
	// Skip maps the name of a subtest to the reason why the store skips it. A name is the
	// path below the test that called Run, such as "FindRequests/words_prefix" or a whole
	// group such as "Keys". Spaces may stand for the underscores that t.Run puts in names.
	Skip map[string]string
}

// Run runs the contract suite. It calls open once for each subtest that needs an empty
// store; open should register the store's Close with t.Cleanup. At most one Options may be
// given.
func Run(t *testing.T, open func(t *testing.T) georeport.Store, opts ...Options) {
	t.Helper()

	s := &suite{open: open, root: t.Name()}
	if len(opts) > 1 {
		t.Fatalf("storetest.Run: got %d Options, want at most 1", len(opts))
	}
	if len(opts) == 1 {
		s.skip = make(map[string]string, len(opts[0].Skip))
		for name, reason := range opts[0].Skip {
			s.skip[strings.ReplaceAll(name, " ", "_")] = reason
		}
	}

	s.run(t, "CreateRequest", s.testCreateRequest)
	s.run(t, "Request", s.testRequest)
	s.run(t, "RequestIDByToken", s.testRequestIDByToken)
	s.run(t, "ImportRequests", s.testImportRequests)
	s.run(t, "FindRequests", s.testFindRequests)
	s.run(t, "StandardFields", s.testStandardFields)
	s.run(t, "Paging", s.testPaging)
	s.run(t, "Catalog", s.testCatalog)
	s.run(t, "Keys", s.testKeys)
	s.run(t, "Media", s.testMedia)
	s.run(t, "Ping", s.testPing)
	s.run(t, "Concurrent", s.testConcurrent)
}

// suite holds what the subtests share.
type suite struct {
	open func(t *testing.T) georeport.Store
	root string
	skip map[string]string
}

// run runs f as the subtest name of t, unless Options.Skip names it or a group above it.
func (s *suite) run(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()

	t.Run(name, func(t *testing.T) {
		t.Helper()

		relative := strings.TrimPrefix(t.Name(), s.root+"/")
		for path := relative; path != ""; {
			if reason, ok := s.skip[path]; ok {
				t.Skipf("skipped by the store: %s", reason)
			}
			i := strings.LastIndex(path, "/")
			if i < 0 {
				break
			}
			path = path[:i]
		}
		f(t)
	})
}
