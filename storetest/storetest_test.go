package storetest

import (
	"testing"

	"github.com/open311-to-go/open311/georeport"
)

func TestRunSkipsGroups(t *testing.T) {
	skip := make(map[string]string)
	for _, group := range []string{"CreateRequest", "Request", "RequestIDByToken", "ImportRequests", "FindRequests", "StandardFields", "Paging", "Catalog", "Keys", "Media", "Ping", "Concurrent"} {
		skip[group] = "tested elsewhere"
	}

	Run(t, func(t *testing.T) georeport.Store {
		t.Fatalf("open called for %s, which Options.Skip names", t.Name())
		return nil
	}, Options{Skip: skip})
}
