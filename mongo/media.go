package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/open311-to-go/open311/georeport"
)

// mediaDocument is a reservation of an uploaded file, keyed by the file's name.
type mediaDocument struct {
	Name     string    `bson:"_id"`
	URL      string    `bson:"url"`
	Reserved time.Time `bson:"reserved"`
}

// ReserveMedia records a file that a POST is storing. Its time is stored in whole seconds.
//
// ReserveMedia returns an error of the kind Conflict when the name is reserved already,
// Invalid when the name is empty, Unavailable when no primary server can be reached, and
// Internal otherwise.
func (s *Store) ReserveMedia(ctx context.Context, m georeport.MediaReservation) error {
	const op = "mongo: reserve media"

	if m.Name == "" {
		return newError(georeport.Invalid, op, "the file name is empty")
	}
	d := mediaDocument{Name: m.Name, URL: m.URL, Reserved: m.Reserved.Truncate(time.Second).UTC()}
	if _, err := s.media.InsertOne(ctx, d); err != nil {
		return translate(op, fmt.Errorf("reserve %s: %w", m.Name, redact(err)))
	}
	return nil
}

// ReleaseMedia deletes the reservations of the named files.
//
// ReleaseMedia returns an error of the kind Unavailable when no primary server can be
// reached, and Internal otherwise.
func (s *Store) ReleaseMedia(ctx context.Context, names []string) error {
	const op = "mongo: release media"

	if len(names) == 0 {
		return nil
	}
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: names}}}}
	if _, err := s.media.DeleteMany(ctx, filter); err != nil {
		return translate(op, fmt.Errorf("release %d files: %w", len(names), redact(err)))
	}
	return nil
}

// StaleMedia returns at most limit reservations made before the time, oldest first.
//
// StaleMedia returns an error of the kind Unavailable when no server can be reached, and
// Internal otherwise.
func (s *Store) StaleMedia(ctx context.Context, before time.Time, limit int) ([]georeport.MediaReservation, error) {
	const op = "mongo: stale media"

	filter := bson.D{{Key: "reserved", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}}
	opts := options.Find().SetSort(bson.D{{Key: "reserved", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit))
	cursor, err := s.media.Find(ctx, filter, opts)
	if err != nil {
		return nil, translate(op, redact(err))
	}
	var docs []mediaDocument
	if err := cursor.All(ctx, &docs); err != nil {
		return nil, translate(op, redact(err))
	}
	out := make([]georeport.MediaReservation, len(docs))
	for i, d := range docs {
		out[i] = georeport.MediaReservation{Name: d.Name, URL: d.URL, Reserved: d.Reserved.UTC()}
	}
	return out, nil
}

// MediaInUse returns the URLs that a stored request lists as its media_url or in its
// media_urls.
//
// MediaInUse returns an error of the kind Unavailable when no server can be reached, and
// Internal otherwise.
func (s *Store) MediaInUse(ctx context.Context, urls []string) (map[string]bool, error) {
	const op = "mongo: media in use"

	used := make(map[string]bool)
	if len(urls) == 0 {
		return used, nil
	}
	filter := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "media_urls", Value: bson.D{{Key: "$in", Value: urls}}}},
		bson.D{{Key: "media_url", Value: bson.D{{Key: "$in", Value: urls}}}},
	}}}
	opts := options.Find().SetProjection(bson.D{{Key: "media_url", Value: 1}, {Key: "media_urls", Value: 1}})
	cursor, err := s.requests.Find(ctx, filter, opts)
	if err != nil {
		return nil, translate(op, redact(err))
	}
	defer cursor.Close(ctx)
	wanted := make(map[string]bool, len(urls))
	for _, u := range urls {
		wanted[u] = true
	}
	for cursor.Next(ctx) {
		var d struct {
			MediaURL  string   `bson:"media_url"`
			MediaURLs []string `bson:"media_urls"`
		}
		if err := cursor.Decode(&d); err != nil {
			return nil, translate(op, err)
		}
		for _, u := range append(d.MediaURLs, d.MediaURL) {
			if wanted[u] {
				used[u] = true
			}
		}
	}
	if err := cursor.Err(); err != nil {
		return nil, translate(op, redact(err))
	}
	return used, nil
}
