package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/media"
	"github.com/open311-to-go/open311/sqlite"
)

// TestCollectMediaAfterCrash stores files as a POST does and stops before the request, as a
// crash would, then checks that the cleanup deletes only orphans older than the grace.
func TestCollectMediaAfterCrash(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "open311.db"), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	files, err := media.NewFileStore(t.TempDir(), "https://feedback.example.org/media")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	upload := func(name string, age time.Duration) {
		t.Helper()
		m := georeport.MediaReservation{Name: name, URL: files.URL(name), Reserved: now.Add(-age)}
		if err := store.ReserveMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := files.Put(ctx, name, "image/png", strings.NewReader("png bytes")); err != nil {
			t.Fatal(err)
		}
	}
	upload("orphan.png", 2*time.Hour)
	upload("stored.png", 2*time.Hour) // its request was stored, but the server stopped before the release
	upload("recent.png", time.Minute) // its POST may still be running
	r := georeport.Request{ID: "r1", Status: georeport.StatusOpen, Requested: now, Updated: now,
		MediaURL: files.URL("stored.png"), MediaURLs: []string{files.URL("stored.png")}}
	if err := store.CreateRequest(ctx, &r); err != nil {
		t.Fatal(err)
	}

	deleted, kept, err := collectMedia(ctx, store, files, time.Hour, now, logger)
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 1 || kept != 1 {
		t.Errorf("collectMedia deleted %d and kept %d, want 1 and 1", deleted, kept)
	}
	for name, wantExists := range map[string]bool{"orphan.png": false, "stored.png": true, "recent.png": true} {
		f, err := files.Open(ctx, name)
		if exists := err == nil; exists != wantExists {
			t.Errorf("after the cleanup, %s exists = %v, want %v (%v)", name, exists, wantExists, err)
		}
		if err == nil {
			f.Close()
		} else if !errors.Is(err, media.ErrNotFound) {
			t.Fatal(err)
		}
	}
	left, err := store.StaleMedia(ctx, now.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Name != "recent.png" {
		t.Errorf("reservations left = %v, want only recent.png", left)
	}
}
