package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/open311-to-go/open311/georeport"
)

func TestItemCacheAdmitsRequestsSeenTwice(t *testing.T) {
	c := newItemCache(1 << 20)
	r := &georeport.Request{ID: "a"}
	key := itemKey{request: r, itemVariant: itemVariant{format: JSON, lang: "fi"}}
	c.put(key, []byte(`{"a":1}`))
	if _, ok := c.get(key); ok {
		t.Fatal("an item encoded once is cached")
	}
	item := []byte(`{"a":1}`)
	c.put(key, item)
	item[2] = 'b' // the cache keeps a copy
	if got, ok := c.get(key); !ok || string(got) != `{"a":1}` {
		t.Fatalf("an item encoded twice: get = %q, %v", got, ok)
	}
	for _, other := range []itemKey{
		{request: r, itemVariant: itemVariant{format: XML, lang: "fi"}},
		{request: r, itemVariant: itemVariant{format: JSON, lang: "sv"}},
		{request: r, itemVariant: itemVariant{format: JSON, lang: "fi", extensions: true}},
		{request: &georeport.Request{ID: "a"}, itemVariant: itemVariant{format: JSON, lang: "fi"}},
	} {
		if _, ok := c.get(other); ok {
			t.Errorf("get(%+v) finds the item of another key", other)
		}
	}

	items := make([][]byte, 2)
	c.getAll(key.itemVariant, []*georeport.Request{r, {ID: "b"}}, items)
	if string(items[0]) != `{"a":1}` {
		t.Errorf("getAll of the cached request = %q, want its item", items[0])
	}
	if items[1] != nil {
		t.Errorf("getAll of a request never cached = %q, want nil", items[1])
	}
	c.getAll(itemVariant{format: JSON, lang: "sv"}, []*georeport.Request{r}, items[:1])
	if items[0] != nil {
		t.Errorf("getAll in another language = %q, want nil", items[0])
	}

	for range 20_000 {
		k := itemKey{request: &georeport.Request{}, itemVariant: itemVariant{format: JSON}}
		c.put(k, make([]byte, 1000))
		c.put(k, make([]byte, 1000))
	}
	if c.size > c.limit {
		t.Errorf("the cache holds %d bytes, over its limit of %d", c.size, c.limit)
	}
}

// TestListsShowChangedRequests reads a list often enough for its items to be cached, changes
// a request, and checks that every format and language shows the change.
func TestListsShowChangedRequests(t *testing.T) {
	ts := newTestServer(t, "")
	ctx := context.Background()
	stored := georeport.Request{ID: "sr-1", ServiceCode: "2807", Status: georeport.StatusOpen,
		Description: "Kuoppa ennen", Requested: testNow.AddDate(0, 0, -1), Updated: testNow.AddDate(0, 0, -1)}
	if _, err := ts.store.ImportRequests(ctx, []georeport.Request{stored}); err != nil {
		t.Fatal(err)
	}
	targets := []string{"requests.json", "requests.xml", "requests.geojson", "requests.json?locale=sv",
		"requests.json?extensions=true"}
	read := func() map[string]string {
		bodies := map[string]string{}
		for _, target := range targets {
			resp := ts.get(t, target)
			bodies[target] = string(readBody(t, resp))
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d %s", target, resp.StatusCode, bodies[target])
			}
		}
		return bodies
	}
	first := read()
	for range 3 {
		for target, body := range read() {
			if body != first[target] {
				t.Fatalf("GET %s changed without a write:\n%s\nthen\n%s", target, first[target], body)
			}
		}
	}

	// A list without extensions may have used two copies of the request: one with only the
	// standard fields, and later one with every field that the extensions target read.
	if n := ts.items.count(); n < len(targets) {
		t.Fatalf("the item cache holds %d items, want at least one per target, %d", n, len(targets))
	}

	stored.Description, stored.Status = "Kuoppa korjattu", georeport.StatusClosed
	if _, err := ts.store.ImportRequests(ctx, []georeport.Request{stored}); err != nil {
		t.Fatal(err)
	}
	for target, body := range read() {
		if strings.Contains(body, "Kuoppa ennen") || !strings.Contains(body, "Kuoppa korjattu") {
			t.Errorf("GET %s after the change = %s", target, body)
		}
	}
}
