package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/open311-to-go/open311/georeport"
)

func (s *suite) testMedia(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	reservation := func(name string, minutes int) georeport.MediaReservation {
		return georeport.MediaReservation{Name: name, URL: "https://media.example.org/" + name,
			Reserved: base.Add(time.Duration(minutes)*time.Minute + 300*time.Millisecond)}
	}

	s.run(t, "reserve, list stale and release", func(t *testing.T) {
		store := s.open(t)
		for _, m := range []georeport.MediaReservation{reservation("c.png", 2), reservation("a.jpg", 0), reservation("b.jpg", 1)} {
			if err := store.ReserveMedia(ctx, m); err != nil {
				t.Fatalf("ReserveMedia(%q) error = %v", m.Name, err)
			}
		}
		got, err := store.StaleMedia(ctx, base.Add(90*time.Second), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []georeport.MediaReservation{reservation("a.jpg", 0), reservation("b.jpg", 1)}
		for i := range want {
			want[i].Reserved = want[i].Reserved.Truncate(time.Second)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("StaleMedia(10:01:30) (-got +want):\n%s", diff)
		}
		if got, err := store.StaleMedia(ctx, base.Add(time.Hour), 1); err != nil || len(got) != 1 || got[0].Name != "a.jpg" {
			t.Errorf("StaleMedia with limit 1 = %v, %v, want the oldest, a.jpg", got, err)
		}

		if err := store.ReleaseMedia(ctx, []string{"a.jpg", "unknown.gif"}); err != nil {
			t.Fatalf("ReleaseMedia error = %v", err)
		}
		got, err = store.StaleMedia(ctx, base.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if names := reservationNames(got); !cmp.Equal(names, []string{"b.jpg", "c.png"}) {
			t.Errorf("after releasing a.jpg, StaleMedia names = %v, want [b.jpg c.png]", names)
		}
		if err := store.ReleaseMedia(ctx, nil); err != nil {
			t.Errorf("ReleaseMedia(nil) error = %v", err)
		}
	})

	s.run(t, "reserve twice is a conflict", func(t *testing.T) {
		store := s.open(t)
		m := reservation("a.jpg", 0)
		if err := store.ReserveMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
		checkKind(t, "ReserveMedia of a reserved name", store.ReserveMedia(ctx, m), georeport.Conflict)
		checkKind(t, "ReserveMedia of an empty name", store.ReserveMedia(ctx, georeport.MediaReservation{}), georeport.Invalid)
	})

	s.run(t, "media in use", func(t *testing.T) {
		store := s.open(t)
		first := georeport.Request{ID: "with-media", Status: georeport.StatusOpen, Requested: base, Updated: base,
			MediaURL: "https://media.example.org/posted.jpg"}
		first.MediaURLs = []string{first.MediaURL, "https://media.example.org/upload.png"}
		only := georeport.Request{ID: "media-url-only", Status: georeport.StatusOpen, Requested: base, Updated: base,
			MediaURL: "https://media.example.org/only.jpg"}
		create(t, store, first, only)
		urls := []string{"https://media.example.org/posted.jpg", "https://media.example.org/upload.png",
			"https://media.example.org/only.jpg", "https://media.example.org/orphan.png"}
		got, err := store.MediaInUse(ctx, urls)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{urls[0]: true, urls[1]: true, urls[2]: true}
		if diff := cmp.Diff(got, want, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("MediaInUse (-got +want):\n%s", diff)
		}
		if got, err := store.MediaInUse(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("MediaInUse(nil) = %v, %v, want none", got, err)
		}
	})
}

func reservationNames(list []georeport.MediaReservation) []string {
	names := make([]string, len(list))
	for i, m := range list {
		names[i] = m.Name
	}
	return names
}
