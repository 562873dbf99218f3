package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/sqlite"
	"github.com/open311-to-go/open311/storetest"
)

func TestStoreFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) georeport.Store {
		return openStore(t, filepath.Join(t.TempDir(), "open311.db"))
	})
}

func TestStoreMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) georeport.Store {
		return openStore(t, sqlite.Memory)
	})
}

// openStore opens a store at path and closes it when the test ends.
func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()

	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	return s
}
