package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSampleResponsesMeans checks the means over lists of different sizes: n requests for the
// path /n, an empty list included.
func TestSampleResponsesMeans(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/%d", &n)
		w.Write([]byte(list(n)))
	}))
	defer server.Close()

	paths := []string{"/0", "/1", "/5"}
	next := 0
	got, err := sampleResponses(context.Background(), server.URL, 6, 1, func(*rand.Rand) string {
		next++
		return paths[(next-1)%len(paths)]
	})
	if err != nil {
		t.Fatalf("sampleResponses error = %v", err)
	}
	// Twice each of 0, 1 and 5 requests.
	if got.sampled != 6 || got.results != 2 {
		t.Errorf("sampled %d responses of %.2f results on average, want 6 of 2", got.sampled, got.results)
	}
	if want := float64(len(list(0))+len(list(1))+len(list(5))) / 3; got.bytes != want {
		t.Errorf("mean size = %.2f bytes, want %.2f", got.bytes, want)
	}
}

// list returns a JSON list of n requests, whose texts contain brackets and commas.
func list(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `{"service_request_id":"a[1]","lat":60.1}`
	}
	return "[" + strings.Join(items, ",") + "]"
}

// TestSampleResponsesRejects checks that an error status or a body that is not a JSON array
// fails the sample with the path, instead of being counted.
func TestSampleResponsesRejects(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/object":
			w.Write([]byte(`{"service_request_id":"1"}`))
		default:
			http.Error(w, `[{"code":400,"description":"bad"}]`, http.StatusBadRequest)
		}
	}))
	defer server.Close()

	for path, want := range map[string]string{"/object": "not a JSON array", "/bad": "status 400"} {
		_, err := sampleResponses(context.Background(), server.URL, 3, 1, func(*rand.Rand) string { return path })
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("sampleResponses(%s) error = %v, want one naming the path and %q", path, err, want)
		}
	}
}
