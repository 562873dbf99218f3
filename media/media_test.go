package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	store, err := NewFileStore(dir, "https://feedback.example.org/open311/v2/media")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := []byte("\x89PNG\r\n\x1a\nrest of the image")
	if err := store.Put(ctx, "abc123.png", "image/png", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if got, want := store.URL("abc123.png"), "https://feedback.example.org/open311/v2/media/abc123.png"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	f, err := store.Open(ctx, "abc123.png")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) || f.Size != int64(len(data)) {
		t.Errorf("Open returned %q (size %d), want %q", got, f.Size, data)
	}
	if err := store.Delete(ctx, "abc123.png"); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, "abc123.png"); err != nil {
		t.Errorf("deleting a missing file: %v, want nil", err)
	}
	if _, err := store.Open(ctx, "abc123.png"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Delete = %v, want ErrNotFound", err)
	}
}

func TestFileStoreFailedPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	store, err := NewFileStore(dir, "http://x")
	if err != nil {
		t.Fatal(err)
	}
	broken := io.MultiReader(strings.NewReader("partial"), errReader{})
	if err := store.Put(context.Background(), "abc.jpg", "image/jpeg", broken); err == nil {
		t.Fatal("Put with a failing reader returned nil")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("a failed Put left %d files: %v", len(entries), entries)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"abc123.png": true, "x.jpg": true, "../etc.png": false, "a/b.png": false, "abc": false,
		".png": false, "abc.": false, "a.b.png": false, "ABC.png": false, "": false,
		filepath.Join("a", "b.jpg"): false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name              string
		head              []byte
		wantType, wantExt string
	}{
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png", ".png"},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg", ".jpg"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "image/gif", ".gif"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp", ".webp"},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), "image/heic", ".heic"},
		{"text", []byte("just some text\n"), "text/plain; charset=utf-8", ""},
		{"html", []byte("<html><script>"), "text/html; charset=utf-8", ""},
		{"empty", nil, "text/plain; charset=utf-8", ""},
	}
	for _, tt := range tests {
		gotType, gotExt := Sniff(tt.head)
		if gotType != tt.wantType || gotExt != tt.wantExt {
			t.Errorf("Sniff(%s) = %q, %q, want %q, %q", tt.name, gotType, gotExt, tt.wantType, tt.wantExt)
		}
	}
}
