package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/storetest"
)

// TestUnpackedStringsShareThePackedText fills every string of a request, those in its slices
// too, and stores it. The request read back must equal it, and its strings must all lie in
// the one text SQLite packed the row into, because the cache keeps decoded requests as they
// are: a field added to Request later must not bring an allocation per string back.
func TestUnpackedStringsShareThePackedText(t *testing.T) {
	r := &georeport.Request{
		Requested:  time.Unix(1_700_000_000, 0).UTC(),
		Updated:    time.Unix(-86_400, 0).UTC(),
		Location:   &georeport.Point{Lat: 60.17, Long: 24.94},
		MediaURLs:  []string{"", ""},
		Tasks:      []georeport.Task{{}, {}},
		Attributes: []georeport.AttributeValue{{Values: []string{"", ""}}},
	}
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			n++
			v.SetString(fmt.Sprintf("value %d: \"ä\"\n\\", n))
		case reflect.Struct:
			for i := range v.NumField() {
				fill(v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				fill(v.Index(i))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				fill(v.Elem())
			}
		}
	}
	fill(reflect.ValueOf(r).Elem())
	r.Status, r.Visibility = georeport.StatusOpen, georeport.Hidden

	ctx := context.Background()
	s, err := Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatalf("Open error = %v", err)
	}
	defer s.Close()
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatalf("CreateRequest error = %v", err)
	}
	var lat, long float64
	var packed string
	if err := s.readers.QueryRowContext(ctx, "SELECT "+packedColumns+" FROM requests").Scan(&lat, &long, &packed); err != nil {
		t.Fatalf("select packed error = %v", err)
	}
	got, err := unpackRequest(packed)
	if err != nil {
		t.Fatalf("unpackRequest error = %v", err)
	}
	got.Location = r.Location
	if diff := cmp.Diff(r, got); diff != "" {
		t.Fatalf("unpacked request differs (-stored +read):\n%s", diff)
	}

	// Strings with escapes in the JSON of the tasks, attributes and media URLs lie in one
	// block of their own. Every other string lies in the packed text.
	low := uintptr(unsafe.Pointer(unsafe.StringData(packed)))
	high := low + uintptr(len(packed))
	var otherLow, otherHigh uintptr
	var check func(path string, v reflect.Value)
	check = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			p := uintptr(unsafe.Pointer(unsafe.StringData(v.String())))
			switch {
			case v.Len() == 0 || p >= low && p+uintptr(v.Len()) <= high:
			case strings.HasPrefix(path, "Request.Tasks") || strings.HasPrefix(path, "Request.Attributes") ||
				strings.HasPrefix(path, "Request.MediaURLs"):
				if otherLow == 0 || p < otherLow {
					otherLow = p
				}
				otherHigh = max(otherHigh, p+uintptr(v.Len()))
			default:
				t.Errorf("%s lies outside the packed text", path)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				check(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				check(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		}
	}
	got.Visibility = "" // a constant
	check("Request", reflect.ValueOf(got).Elem())
	if otherHigh-otherLow > uintptr(len(packed)) {
		t.Errorf("the strings with escapes span %d bytes, more than one block for the row", otherHigh-otherLow)
	}
}

// TestUnpackRejectsMalformedText checks that a packed text which packedColumns cannot have
// written is an error, not a request made of parts of it.
func TestUnpackRejectsMalformedText(t *testing.T) {
	whole := strings.Repeat("1:a", packedFields)
	if _, err := unpackColumns(whole); err != nil {
		t.Fatalf("unpackColumns(%q) error = %v", whole, err)
	}
	for _, packed := range []string{
		"",
		whole + "1:a",
		whole[:len(whole)-1],
		strings.Repeat("1:a", packedFields-1) + "5:a",
		strings.Repeat("1:a", packedFields-1) + "x:a",
		strings.Repeat("1:a", packedFields-1) + "9999999999:a",
		strings.Repeat("1:a", packedFields-1) + "-1:a",
	} {
		if _, err := unpackColumns(packed); !errors.Is(err, errPacked) {
			t.Errorf("unpackColumns(%q) error = %v, want errPacked", packed, err)
		}
	}
}

// TestCacheAdmitsRowsReadTwice checks that a row enters the cache on its second read, and that
// the cache stays within its limit.
func TestCacheAdmitsRowsReadTwice(t *testing.T) {
	c := newRequestCache(1 << 20)
	r := &georeport.Request{ID: "a", Description: "Kuoppa"}
	key := cacheKey{rowID: 1, version: 1}
	c.put(key, r)
	if _, ok := c.get(key); ok {
		t.Fatal("a row read once is cached")
	}
	c.put(key, r)
	got, ok := c.get(key)
	if !ok || got.Description != "Kuoppa" {
		t.Fatalf("a row read twice: get = %v, %v", got, ok)
	}
	for i := range 10_000 {
		k := cacheKey{rowID: int64(i + 2), version: 1}
		c.put(k, r)
		c.put(k, r)
	}
	if c.size > c.limit {
		t.Errorf("the cache holds %d bytes, over its limit of %d", c.size, c.limit)
	}
}

// TestStandardFieldsLeaveOutExtensions reads a request with every field through lists with
// and without StandardFields, often enough for the cache to keep both copies. A list without
// StandardFields must always get every field, whichever copy the cache holds.
func TestStandardFieldsLeaveOutExtensions(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	full := &georeport.Request{
		ID: "sr-1", Jurisdiction: "helsinki", Token: "tok-1", ServiceCode: "2807", ServiceName: "Katu",
		Status: georeport.StatusOpen, StatusNotes: "Tarkastettu", Description: "Kuoppa pyörätiellä",
		AgencyResponsible: "Kaupunkiympäristö", ServiceNotice: "Viikon sisällä",
		Requested: now.Add(-time.Hour), Updated: now.Add(-time.Minute), Expected: now.Add(time.Hour),
		Address: "Mannerheimintie 1", AddressID: "a-1", Zipcode: "00100", Location: &georeport.Point{Lat: 60.17, Long: 24.94},
		MediaURL: "https://media.example/1.jpg", Title: "Kuoppa", DetailedStatus: "IN_PROCESS",
		MediaURLs: []string{"https://media.example/1.jpg"}, ServiceObjectID: "10844", ServiceObjectType: "servicemap",
		Tasks:      []georeport.Task{{State: "open", Type: "check", OwnerName: "Katu", Created: now.Add(-time.Hour), Modified: now}},
		Attributes: []georeport.AttributeValue{{Code: "size", Values: []string{"large"}}},
		Visibility: georeport.Public,
		Reporter:   georeport.Reporter{Email: "a@example.fi", FirstName: "Aino", LastName: "Virtanen", Phone: "040", DeviceID: "d", AccountID: "u"},
	}
	standardCopy := storetest.StandardFields(*full)
	standard := &standardCopy

	ctx := context.Background()
	s, err := Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatalf("Open error = %v", err)
	}
	defer s.Close()
	if _, err := s.ImportRequests(ctx, []georeport.Request{*full}); err != nil {
		t.Fatalf("ImportRequests error = %v", err)
	}

	queries := map[string]georeport.Query{
		"index": {RequestedFrom: now.AddDate(0, 0, -90), RequestedTo: now, Limit: 10},
		"words": {Words: []string{"kuoppa"}, Limit: 10},
	}
	for name, q := range queries {
		if name == "index" && !s.current().index.supports(&q) {
			t.Fatalf("the index does not run the query %q", name)
		}
		read := func(standardFields bool) *georeport.Request {
			t.Helper()
			q := q
			q.StandardFields = standardFields
			page, err := s.FindRequests(ctx, &q)
			if err != nil {
				t.Fatalf("%s: FindRequests error = %v", name, err)
			}
			if len(page.Requests) != 1 {
				t.Fatalf("%s: FindRequests found %d requests, want 1", name, len(page.Requests))
			}
			return page.Requests[0]
		}
		for range 3 {
			// The copy with every field that the other query put in the cache may come back.
			got := storetest.StandardFields(*read(true))
			if diff := cmp.Diff(standard, &got); diff != "" {
				t.Errorf("%s with StandardFields (-want +got):\n%s", name, diff)
			}
		}
		for range 3 {
			if diff := cmp.Diff(full, read(false)); diff != "" {
				t.Errorf("%s without StandardFields (-want +got):\n%s", name, diff)
			}
		}
		// Once the cache holds the copy with every field, lists with StandardFields get it.
		got := read(true)
		if got.ID != full.ID || got.Description != full.Description {
			t.Errorf("%s with StandardFields after a full read = %+v", name, got)
		}
	}
}

// TestCacheAdmitsFewRowsReadOnce reads many rows once each, and requires most of them to stay
// out of the cache: only the rows whose first read shares a bit of seen with an earlier one
// enter.
func TestCacheAdmitsFewRowsReadOnce(t *testing.T) {
	c := newRequestCache(64 << 20)
	r := &georeport.Request{ID: "a", Description: "Kuoppa"}
	const rows = 200_000
	for i := range rows {
		c.put(cacheKey{rowID: int64(i + 1), version: 1, standard: i%2 == 0}, r)
	}
	if n := len(c.entries); n > rows/16 {
		t.Errorf("%d of %d rows read once entered the cache, want at most %d", n, rows, rows/16)
	}
}

// TestCacheKeepsOneCopyOfARow checks which copy of a row the cache keeps: a copy with every
// field stays when one with the standard fields comes, replaces one, and a newer version
// replaces either. Each copy is put twice, because the cache admits a row on its second read.
func TestCacheKeepsOneCopyOfARow(t *testing.T) {
	c := newRequestCache(1 << 20)
	whole := &georeport.Request{ID: "whole"}
	standard := &georeport.Request{ID: "standard"}
	newer := &georeport.Request{ID: "newer"}
	putTwice := func(key cacheKey, r *georeport.Request) {
		c.put(key, r)
		c.put(key, r)
	}
	find := func(version uint32, standard bool) string {
		found := make([]*georeport.Request, 1)
		c.findAll([]int64{7}, []uint32{version}, standard, found)
		if found[0] == nil {
			return "none"
		}
		return found[0].ID
	}

	putTwice(cacheKey{rowID: 7, version: 1, standard: true}, standard)
	if got := find(1, true); got != "standard" {
		t.Errorf("standard list after a standard copy = %s, want standard", got)
	}
	if got := find(1, false); got != "none" {
		t.Errorf("whole list after a standard copy = %s, want none", got)
	}

	putTwice(cacheKey{rowID: 7, version: 1}, whole)
	putTwice(cacheKey{rowID: 7, version: 1, standard: true}, standard)
	for _, standard := range []bool{false, true} {
		if got := find(1, standard); got != "whole" {
			t.Errorf("list (standard %v) after a whole copy = %s, want whole", standard, got)
		}
	}

	putTwice(cacheKey{rowID: 7, version: 2, standard: true}, newer)
	if got := find(1, true); got != "none" {
		t.Errorf("version 1 after version 2 came = %s, want none", got)
	}
	if got := find(2, true); got != "newer" {
		t.Errorf("version 2 = %s, want newer", got)
	}
	if len(c.entries) != 1 {
		t.Errorf("the cache has %d entries, want 1", len(c.entries))
	}
	if c.size != requestSize(newer) {
		t.Errorf("the cache counts %d bytes, want the %d of the newer copy", c.size, requestSize(newer))
	}
}
