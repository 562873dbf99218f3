package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/open311-to-go/open311/georeport"
)

// wholePages hides a store's FindRequestsInParts, so that lists go the whole-page way.
type wholePages struct{ georeport.Store }

// failingParts hands over the first part of a page and then fails.
type failingParts struct{ georeport.PartStore }

func (f failingParts) FindRequestsInParts(ctx context.Context, q *georeport.Query, size int, part func(*georeport.Page) error) error {
	calls := 0
	err := f.PartStore.FindRequestsInParts(ctx, q, size, func(p *georeport.Page) error {
		calls++
		if calls == 2 {
			return errors.New("the disk went away")
		}
		return part(p)
	})
	return err
}

// TestStreamedListsMatchWholePages serves long lists of the real Helsinki requests both in
// parts and as whole pages, in every format, and requires the same bytes and headers.
func TestStreamedListsMatchWholePages(t *testing.T) {
	streamed := newTestServer(t, "")
	importHelsinki(t, streamed)
	whole := newTestServer(t, "", func(c *Config) { c.Store = wholePages{c.Store} })
	importHelsinki(t, whole)

	for i, target := range []string{
		"requests.json?start_date=2015-06-01&end_date=2015-08-29&extensions=true",
		"requests.xml?start_date=2015-06-01&end_date=2015-08-29&page=2&page_size=150",
		"requests.geojson?lat=60.17&long=24.94&radius=8000&start_date=2015-06-01&end_date=2015-08-29",
		"requests.json?start_date=2015-01-01&end_date=2015-01-02",
	} {
		t.Run(target, func(t *testing.T) {
			a, b := streamed.get(t, target), whole.get(t, target)
			bodyA, bodyB := readBody(t, a), readBody(t, b)
			if a.StatusCode != http.StatusOK || b.StatusCode != http.StatusOK {
				t.Fatalf("status %d and %d, want 200", a.StatusCode, b.StatusCode)
			}
			if count, _ := strconv.Atoi(a.Header.Get("X-Result-Count")); i < 3 && count <= 2*listPartSize {
				t.Fatalf("%d matches; the test needs lists of several parts", count)
			}
			if !bytes.Equal(bodyA, bodyB) {
				t.Errorf("the streamed body (%d bytes) differs from the whole page (%d bytes)", len(bodyA), len(bodyB))
			}
			for _, name := range []string{"Content-Type", "Content-Language", "X-Result-Count", "X-Page-Count", "Link"} {
				if a.Header.Get(name) != b.Header.Get(name) {
					t.Errorf("%s: streamed %q, whole page %q", name, a.Header.Get(name), b.Header.Get(name))
				}
			}
		})
	}
}

// TestStreamedListCutOnFailure checks that a store failure after the first part breaks the
// connection instead of ending a list that looks complete.
func TestStreamedListCutOnFailure(t *testing.T) {
	ts := newTestServer(t, "")
	importHelsinki(t, ts)
	failing := newTestServer(t, "", func(c *Config) { c.Store = failingParts{ts.store} })
	server := httptest.NewServer(failing)
	defer server.Close()

	resp, err := http.Get(server.URL + "/open311/v2/requests.json?start_date=2015-06-01&end_date=2015-08-29")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 with a body that breaks off", resp.StatusCode)
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err == nil {
		t.Errorf("the body of %d bytes ended without an error; a cut list must not look complete", body.Len())
	}
}

// leavingParts hands over the first part of a page, then cancels the request as net/http
// does when the client closes its connection, and fails with the cancellation.
type leavingParts struct {
	georeport.PartStore
	cancel context.CancelFunc
}

func (l leavingParts) FindRequestsInParts(ctx context.Context, q *georeport.Query, size int, part func(*georeport.Page) error) error {
	calls := 0
	return l.PartStore.FindRequestsInParts(ctx, q, size, func(p *georeport.Page) error {
		calls++
		if calls == 2 {
			l.cancel()
			return &georeport.Error{Kind: georeport.Unavailable, Op: "sqlite: find requests", Err: ctx.Err()}
		}
		return part(p)
	})
}

// TestStreamedListCutByClientLogs499 checks that a long list whose client leaves after the
// first part still gets its access record, at info level with status 499.
func TestStreamedListCutByClientLogs499(t *testing.T) {
	ts := newTestServer(t, "")
	importHelsinki(t, ts)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	leaving := newTestServer(t, "", func(c *Config) {
		c.Store = leavingParts{PartStore: ts.store, cancel: cancel}
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})

	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/open311/v2/requests.json?start_date=2015-06-01&end_date=2015-08-29", nil)
	r.Header.Set("X-Request-ID", "req-left-1")
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("the cut list ended with %v, want the panic http.ErrAbortHandler", v)
			}
		}()
		leaving.ServeHTTP(httptest.NewRecorder(), r)
	}()

	checkClientLeftLogs(t, logs.String(), "req-left-1")
}
