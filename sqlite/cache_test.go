package sqlite

import (
	"fmt"
	"reflect"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/open311-to-go/open311/georeport"
)

// TestCompactedCopiesEveryString fills every string of a request, those in its slices too.
// compacted must return an equal request whose strings all lie in one allocation, so that a
// field added to Request later cannot keep a page's text alive.
func TestCompactedCopiesEveryString(t *testing.T) {
	r := &georeport.Request{
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
			v.SetString(fmt.Sprintf("value %d", n))
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

	c := compacted(r)
	if diff := cmp.Diff(r, c); diff != "" {
		t.Fatalf("compacted differs (-original +copy):\n%s", diff)
	}
	var low, high uintptr
	var check func(v reflect.Value)
	check = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			p := uintptr(unsafe.Pointer(unsafe.StringData(v.String())))
			if low == 0 || p < low {
				low = p
			}
			high = max(high, p+uintptr(v.Len()))
		case reflect.Struct:
			for i := range v.NumField() {
				check(v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				check(v.Index(i))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				check(v.Elem())
			}
		}
	}
	check(reflect.ValueOf(c).Elem())
	total := 0
	for i := 1; i <= n; i++ {
		total += len(fmt.Sprintf("value %d", i))
	}
	if int(high-low) != total {
		t.Errorf("the copy's %d strings span %d bytes, want one block of %d", n, high-low, total)
	}
	if c.Location == r.Location || &c.Tasks[0] == &r.Tasks[0] || &c.Attributes[0].Values[0] == &r.Attributes[0].Values[0] {
		t.Error("the copy shares a pointer or slice with the original")
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
