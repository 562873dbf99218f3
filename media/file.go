package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileStore keeps files in a local folder, which this server serves under {root}/media/.
type FileStore struct {
	dir     string
	baseURL string
}

// NewFileStore returns a store in dir, created when missing. baseURL is the URL of the folder,
// such as "https://feedback.example.org/open311/v2/media".
func NewFileStore(dir, baseURL string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("media: create folder %s: %w", dir, err)
	}
	return &FileStore{dir: dir, baseURL: baseURL}, nil
}

// Put writes the file to a temporary name, syncs it and renames it into place, so that a
// crash never leaves a partial file under name.
func (s *FileStore) Put(ctx context.Context, name, contentType string, r io.Reader) error {
	if !ValidName(name) {
		return fmt.Errorf("media: invalid file name %q", name)
	}
	tmp, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("media: create temporary file: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("media: write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("media: sync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("media: close %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("media: rename %s: %w", name, err)
	}
	committed = true
	return syncDir(s.dir)
}

// Delete removes the file.
func (s *FileStore) Delete(ctx context.Context, name string) error {
	if !ValidName(name) {
		return fmt.Errorf("media: invalid file name %q", name)
	}
	err := os.Remove(filepath.Join(s.dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: delete %s: %w", name, err)
	}
	return nil
}

// URL returns the file's URL under the base URL.
func (s *FileStore) URL(name string) string { return s.baseURL + "/" + name }

// Open opens a stored file for reading; ErrNotFound when there is none.
func (s *FileStore) Open(ctx context.Context, name string) (*File, error) {
	if !ValidName(name) {
		return nil, ErrNotFound
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", name, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("media: stat %s: %w", name, err)
	}
	return &File{ReadSeekCloser: f, ModTime: info.ModTime(), Size: info.Size()}, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("media: open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("media: sync folder %s: %w", dir, err)
	}
	return nil
}
