package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/open311-to-go/open311/georeport"
)

// compareRequests compares requests field by field. An empty list and a nil list are
// equal, because a store may read either back. Times compare as instants, and checkUTC
// checks their location.
var compareRequests = cmp.Options{cmpopts.EquateEmpty()}

// stored returns r as a store returns it: times in whole seconds in UTC, and an empty
// visibility as Public.
func stored(r georeport.Request) georeport.Request {
	r.Requested = storedTime(r.Requested)
	r.Updated = storedTime(r.Updated)
	r.Expected = storedTime(r.Expected)
	if r.Visibility == "" {
		r.Visibility = georeport.Public
	}
	if r.Location != nil {
		p := *r.Location
		r.Location = &p
	}
	r.MediaURLs = append([]string(nil), r.MediaURLs...)
	r.Tasks = append([]georeport.Task(nil), r.Tasks...)
	for i := range r.Tasks {
		r.Tasks[i].Created = storedTime(r.Tasks[i].Created)
		r.Tasks[i].Modified = storedTime(r.Tasks[i].Modified)
	}
	r.Attributes = append([]georeport.AttributeValue(nil), r.Attributes...)
	return r
}

// storedTime returns t truncated to the second, in UTC. The zero time stays zero.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Second).UTC()
}

// checkUTC reports every time of r that is not the zero time and not in UTC.
func checkUTC(t *testing.T, r *georeport.Request) {
	t.Helper()

	times := map[string]time.Time{"Requested": r.Requested, "Updated": r.Updated, "Expected": r.Expected}
	for i, task := range r.Tasks {
		times[fmt.Sprintf("Tasks[%d].Created", i)] = task.Created
		times[fmt.Sprintf("Tasks[%d].Modified", i)] = task.Modified
	}
	for name, v := range times {
		if !v.IsZero() && v.Location() != time.UTC {
			t.Errorf("request %q %s location = %v, want UTC", r.ID, name, v.Location())
		}
	}
}

// create stores each request with CreateRequest and fails the test on an error.
func create(t *testing.T, store georeport.Store, rs ...georeport.Request) {
	t.Helper()

	for i := range rs {
		r := rs[i]
		if err := store.CreateRequest(context.Background(), &r); err != nil {
			t.Fatalf("CreateRequest(%q) error = %v", r.ID, err)
		}
	}
}

// read returns the request with the id and fails the test on an error.
func read(t *testing.T, store georeport.Store, id string) *georeport.Request {
	t.Helper()

	r, err := store.Request(context.Background(), id)
	if err != nil {
		t.Fatalf("Request(%q) error = %v", id, err)
	}
	return r
}

// find runs the query and fails the test on an error.
func find(t *testing.T, store georeport.Store, q georeport.Query) *georeport.Page {
	t.Helper()

	page, err := store.FindRequests(context.Background(), &q)
	if err != nil {
		t.Fatalf("FindRequests(%v) error = %v", describe(q), err)
	}
	return page
}

// ids returns the ids of the requests, in their order.
func ids(rs []*georeport.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// checkKind reports an error unless err is a *georeport.Error of the kind.
func checkKind(t *testing.T, call string, err error, want georeport.Kind) {
	t.Helper()

	if err == nil {
		t.Errorf("%s error = nil, want kind %v", call, want)
		return
	}
	var e *georeport.Error
	if !errors.As(err, &e) {
		t.Errorf("%s error = %v (%T), want a *georeport.Error of kind %v", call, err, err, want)
		return
	}
	if e.Kind != want {
		t.Errorf("%s error kind = %v, want %v (error %v)", call, e.Kind, want, err)
	}
}

// describe returns the fields of q that are set, as {Name:value …}, so that a failure names
// the conditions of its query and not every zero field.
func describe(q georeport.Query) string {
	var b strings.Builder
	v := reflect.ValueOf(q)
	b.WriteString("{")
	for i := range v.NumField() {
		field := v.Field(i)
		if field.IsZero() {
			continue
		}
		if b.Len() > 1 {
			b.WriteString(" ")
		}
		value := field.Interface()
		if field.Kind() == reflect.Pointer {
			value = field.Elem().Interface()
		}
		fmt.Fprintf(&b, "%s:%+v", v.Type().Field(i).Name, value)
	}
	b.WriteString("}")
	return b.String()
}
