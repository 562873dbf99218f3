// Package media stores the photos that citizens attach to service requests, in a local folder
// or on an external media host, and returns the URL that serves each file.
package media

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned for a file the store does not have.
var ErrNotFound = errors.New("media: file not found")

// Store keeps uploaded files under names that the server draws at random. A name is a bare
// file name such as "3c1undtub14dukl3bdt8.jpg", never a path.
type Store interface {
	// Put stores the bytes read from r under name. When Put returns nil the file is durable
	// and its URL serves it; on error nothing is left under name.
	Put(ctx context.Context, name, contentType string, r io.Reader) error
	// Delete removes the file. Deleting a file that does not exist is not an error.
	Delete(ctx context.Context, name string) error
	// URL returns the absolute URL that serves the file.
	URL(name string) string
}

// File is an opened stored file, as a server that serves its own media needs it.
type File struct {
	io.ReadSeekCloser
	ModTime time.Time
	Size    int64
}

// Opener is a Store whose files this server serves itself, under {root}/media/.
type Opener interface {
	Open(ctx context.Context, name string) (*File, error)
}

// ValidName reports whether name is a name the server could have drawn: letters, digits and
// one dot before a short extension, so that no name reaches outside the store.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	dots := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' && i > 0 && i < len(name)-1:
			dots++
		default:
			return false
		}
	}
	return dots == 1
}
