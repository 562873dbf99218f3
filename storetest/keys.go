package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open311-to-go/open311/georeport"
)

func (s *suite) testCatalog(t *testing.T) {
	ctx := context.Background()

	s.run(t, "not found before the first save", func(t *testing.T) {
		store := s.open(t)
		_, err := store.Catalog(ctx)
		checkKind(t, "Catalog() on a new store", err, georeport.NotFound)
	})

	s.run(t, "save and replace", func(t *testing.T) {
		store := s.open(t)
		versions := [][]byte{
			[]byte(`{"default_locale":"fi","jurisdictions":[{"id":"hel.fi"}],"services":[]}`),
			[]byte("{\"default_locale\":\"sv\",\"note\":\"Töhryjä \\u0000 🕳️\"}\n"),
		}
		for i, data := range versions {
			if err := store.SaveCatalog(ctx, data); err != nil {
				t.Fatalf("SaveCatalog(version %d) error = %v", i+1, err)
			}
			got, err := store.Catalog(ctx)
			if err != nil {
				t.Fatalf("Catalog() after saving version %d error = %v", i+1, err)
			}
			if string(got) != string(data) {
				t.Errorf("Catalog() after saving version %d = %q, want %q", i+1, got, data)
			}
		}
	})
}

func (s *suite) testKeys(t *testing.T) {
	ctx := context.Background()
	created := time.Date(2024, 3, 5, 10, 15, 30, 500_000_000, eet)

	newKey := func(name, role string) georeport.Key {
		return georeport.Key{Name: name, Role: role, Hash: georeport.HashKey("key of " + name), Active: true, Created: created}
	}
	storedKey := func(k georeport.Key) georeport.Key {
		k.Created = storedTime(k.Created)
		return k
	}

	s.run(t, "create and read", func(t *testing.T) {
		store := s.open(t)
		k := newKey("client-app", georeport.RoleClient)
		if err := store.CreateKey(ctx, &k); err != nil {
			t.Fatalf("CreateKey(%q) error = %v", k.Name, err)
		}

		got, err := store.KeyByHash(ctx, k.Hash)
		if err != nil {
			t.Fatalf("KeyByHash(%q) error = %v", k.Hash, err)
		}
		if diff := cmp.Diff(*got, storedKey(k)); diff != "" {
			t.Errorf("KeyByHash(%q) (-got +want):\n%s", k.Hash, diff)
		}
		if got.Created.Location() != time.UTC {
			t.Errorf("KeyByHash(%q).Created location = %v, want UTC", k.Hash, got.Created.Location())
		}
	})

	s.run(t, "duplicate name", func(t *testing.T) {
		store := s.open(t)
		first := newKey("client-app", georeport.RoleClient)
		if err := store.CreateKey(ctx, &first); err != nil {
			t.Fatalf("CreateKey(%q) error = %v", first.Name, err)
		}

		second := newKey("client-app", georeport.RoleStaff)
		second.Hash = georeport.HashKey("another key")
		err := store.CreateKey(ctx, &second)
		checkKind(t, `CreateKey("client-app") twice`, err, georeport.Conflict)

		_, err = store.KeyByHash(ctx, second.Hash)
		checkKind(t, "KeyByHash of the rejected key", err, georeport.NotFound)
	})

	s.run(t, "unknown hash", func(t *testing.T) {
		store := s.open(t)
		_, err := store.KeyByHash(ctx, georeport.HashKey("unknown"))
		checkKind(t, "KeyByHash of an unknown key", err, georeport.NotFound)
	})

	s.run(t, "list ordered by name with revoked", func(t *testing.T) {
		store := s.open(t)
		keys := []georeport.Key{
			newKey("mobile", georeport.RoleClient),
			newKey("Staff desk", georeport.RoleStaff),
			newKey("app", georeport.RoleClient),
		}
		for i := range keys {
			if err := store.CreateKey(ctx, &keys[i]); err != nil {
				t.Fatalf("CreateKey(%q) error = %v", keys[i].Name, err)
			}
		}
		if err := store.RevokeKey(ctx, "mobile"); err != nil {
			t.Fatalf("RevokeKey(%q) error = %v", "mobile", err)
		}

		got, err := store.Keys(ctx)
		if err != nil {
			t.Fatalf("Keys() error = %v", err)
		}
		// Names compare byte by byte, so upper case sorts first.
		want := []georeport.Key{storedKey(keys[1]), storedKey(keys[2]), storedKey(keys[0])}
		want[2].Active = false
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("Keys() (-got +want):\n%s", diff)
		}
	})

	s.run(t, "revoke", func(t *testing.T) {
		store := s.open(t)
		k := newKey("app", georeport.RoleClient)
		if err := store.CreateKey(ctx, &k); err != nil {
			t.Fatalf("CreateKey(%q) error = %v", k.Name, err)
		}

		for i := 1; i <= 2; i++ {
			if err := store.RevokeKey(ctx, "app"); err != nil {
				t.Fatalf("RevokeKey(%q) time %d error = %v", "app", i, err)
			}
			got, err := store.KeyByHash(ctx, k.Hash)
			if err != nil {
				t.Fatalf("KeyByHash(%q) error = %v", k.Hash, err)
			}
			if got.Active {
				t.Errorf("KeyByHash(%q).Active after RevokeKey = true, want false", k.Hash)
			}
		}

		err := store.RevokeKey(ctx, "unknown")
		checkKind(t, `RevokeKey("unknown")`, err, georeport.NotFound)
	})

	s.run(t, "no keys", func(t *testing.T) {
		store := s.open(t)
		got, err := store.Keys(ctx)
		if err != nil {
			t.Fatalf("Keys() error = %v", err)
		}
		if len(got) != 0 {
			t.Errorf("Keys() on a new store = %v, want none", got)
		}
	})
}

func (s *suite) testPing(t *testing.T) {
	store := s.open(t)
	if err := store.Ping(context.Background()); err != nil {
		t.Errorf("Ping() error = %v", err)
	}
}

// testConcurrent creates requests from several goroutines while others query, as a server
// under load does, and checks that no call fails and every request is stored.
func (s *suite) testConcurrent(t *testing.T) {
	ctx := context.Background()
	store := s.open(t)

	const writers, perWriter = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter*2)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				r := fullRequest(fmt.Sprintf("w%d-%02d", w, i), "")
				if err := store.CreateRequest(ctx, &r); err != nil {
					errs <- fmt.Errorf("CreateRequest(%q): %w", r.ID, err)
				}
			}
		})
		wg.Go(func() {
			for range perWriter {
				q := georeport.Query{ServiceCodes: []string{"Public Works:Pothole"}, Words: []string{"kuoppa"}, Limit: 10}
				if _, err := store.FindRequests(ctx, &q); err != nil {
					errs <- fmt.Errorf("FindRequests: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call failed: %v", err)
	}

	page := find(t, store, georeport.Query{Limit: 1})
	if page.Total != writers*perWriter {
		t.Errorf("FindRequests after concurrent creates Total = %d, want %d", page.Total, writers*perWriter)
	}
}
