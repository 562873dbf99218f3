package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
)

// storeOpener is a store whose files this server can also serve.
type storeOpener interface {
	Store
	Opener
}

// errBrokenBody is the error of failingReader.
var errBrokenBody = errors.New("upload body broken on purpose")

// failingReader returns n bytes and then errBrokenBody, as a client whose connection drops
// in the middle of an upload.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errBrokenBody
	}
	n := min(len(p), r.n)
	clear(p[:n])
	r.n -= n
	return n, nil
}

// testBytes returns n bytes that are the same on every run, so that a failed comparison can
// be repeated.
func testBytes(n int) []byte {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	return data
}

// testStore runs the cases that every store must pass, so that the file, Azure and HTTP
// backends behave alike. The store must be empty of the names these cases use.
func testStore(t *testing.T, s storeOpener) {
	t.Helper()

	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, s) })
	t.Run("EmptyFile", func(t *testing.T) { testEmptyFile(t, s) })
	t.Run("ServeContentRanges", func(t *testing.T) { testServeContentRanges(t, s) })
	t.Run("SeekAndRead", func(t *testing.T) { testSeekAndRead(t, s) })
	t.Run("FailedPutLeavesNothing", func(t *testing.T) { testFailedPut(t, s) })
	t.Run("DeleteMissing", func(t *testing.T) {
		if err := s.Delete(context.Background(), "missing1.jpg"); err != nil {
			t.Errorf("Delete(missing1.jpg) = %v, want nil", err)
		}
	})
	t.Run("OpenMissing", func(t *testing.T) {
		f, err := s.Open(context.Background(), "missing2.jpg")
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(missing2.jpg) = %v, %v, want ErrNotFound", f, err)
		}
	})
	t.Run("InvalidNames", func(t *testing.T) { testInvalidNames(t, s) })
}

func testRoundTrip(t *testing.T, s storeOpener) {
	ctx := context.Background()
	data := testBytes(100_000)

	if err := s.Put(ctx, "roundtrip.png", "image/png", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put: %v", err)
	}

	f, err := s.Open(ctx, "roundtrip.png")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := io.ReadAll(f)
	if err != nil {
		t.Errorf("reading the opened file: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("read %d bytes that differ from the %d bytes put", len(got), len(data))
	}
	if f.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", f.Size, len(data))
	}
	if f.ModTime.IsZero() {
		t.Error("ModTime is zero, want the time of Put")
	}

	if err := s.Delete(ctx, "roundtrip.png"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Open(ctx, "roundtrip.png"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Delete = %v, want ErrNotFound", err)
	}
}

func testEmptyFile(t *testing.T, s storeOpener) {
	ctx := context.Background()
	if err := s.Put(ctx, "empty.gif", "image/gif", bytes.NewReader(nil)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	t.Cleanup(func() { s.Delete(ctx, "empty.gif") })

	f, err := s.Open(ctx, "empty.gif")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	if f.Size != 0 {
		t.Errorf("Size = %d, want 0", f.Size)
	}
	got, err := io.ReadAll(f)
	if err != nil || len(got) != 0 {
		t.Errorf("ReadAll = %q, %v, want no bytes and nil", got, err)
	}
}

// testServeContentRanges serves the stored file with http.ServeContent, as the media handler
// does, and requests ranges of it.
func testServeContentRanges(t *testing.T, s storeOpener) {
	ctx := context.Background()
	data := testBytes(50_000)
	if err := s.Put(ctx, "ranges.jpg", "image/jpeg", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	t.Cleanup(func() { s.Delete(ctx, "ranges.jpg") })

	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := s.Open(r.Context(), "ranges.jpg")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "ranges.jpg", f.ModTime, f)
	}))
	defer server.Close()

	size := len(data)
	tests := []struct {
		name, rangeHeader string
		wantStatus        int
		wantContentRange  string
		want              []byte
	}{
		{"no range", "", http.StatusOK, "", data},
		{"inner bytes", "bytes=5-20", http.StatusPartialContent, fmt.Sprintf("bytes 5-20/%d", size), data[5:21]},
		{"from offset to end", "bytes=49990-", http.StatusPartialContent, fmt.Sprintf("bytes 49990-%d/%d", size-1, size), data[49990:]},
		{"last bytes", "bytes=-7", http.StatusPartialContent, fmt.Sprintf("bytes %d-%d/%d", size-7, size-1, size), data[size-7:]},
		{"past the end", fmt.Sprintf("bytes=%d-", size), http.StatusRequestedRangeNotSatisfiable, fmt.Sprintf("bytes */%d", size), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, server.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.rangeHeader != "" {
				req.Header.Set("Range", tt.rangeHeader)
			}
			resp, err := server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("reading the response: %v", err)
			}

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %.200q)", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Range"); got != tt.wantContentRange {
				t.Errorf("Content-Range = %q, want %q", got, tt.wantContentRange)
			}
			if tt.want != nil && !bytes.Equal(body, tt.want) {
				t.Errorf("body has %d bytes that differ from the %d wanted", len(body), len(tt.want))
			}
		})
	}
}

func testSeekAndRead(t *testing.T, s storeOpener) {
	ctx := context.Background()
	data := testBytes(30_000)
	if err := s.Put(ctx, "seek.webp", "image/webp", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	t.Cleanup(func() { s.Delete(ctx, "seek.webp") })

	f, err := s.Open(ctx, "seek.webp")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()

	size := int64(len(data))
	steps := []struct {
		name       string
		offset     int64
		whence     int
		wantOffset int64
		read       int // bytes to read after the seek
	}{
		{"end", 0, io.SeekEnd, size, 0},
		{"start", 1000, io.SeekStart, 1000, 10},
		{"current forward", 500, io.SeekCurrent, 1510, 20},
		{"current back", -30, io.SeekCurrent, 1500, 30},
		{"before end", -10, io.SeekEnd, size - 10, 10},
		{"back to start", 0, io.SeekStart, 0, 5},
	}
	for _, step := range steps {
		got, err := f.Seek(step.offset, step.whence)
		if err != nil || got != step.wantOffset {
			t.Fatalf("%s: Seek(%d, %d) = %d, %v, want %d, nil", step.name, step.offset, step.whence, got, err, step.wantOffset)
		}
		buf := make([]byte, step.read)
		if _, err := io.ReadFull(f, buf); err != nil {
			t.Fatalf("%s: reading %d bytes at %d: %v", step.name, step.read, got, err)
		}
		if want := data[got : got+int64(step.read)]; !bytes.Equal(buf, want) {
			t.Errorf("%s: read %x at %d, want %x", step.name, buf, got, want)
		}
	}

	if _, err := f.Seek(size, io.SeekStart); err != nil {
		t.Fatalf("Seek to the end: %v", err)
	}
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v, want 0, io.EOF", n, err)
	}
	if got, err := f.Seek(-1, io.SeekStart); err == nil {
		t.Errorf("Seek(-1, io.SeekStart) = %d, nil, want an error", got)
	}
}

func testFailedPut(t *testing.T, s storeOpener) {
	tests := []struct {
		name      string
		file      string
		readFirst int // bytes read before the error
	}{
		{"at once", "failed0.png", 0},
		{"in the first block", "failed1.png", 10_000},
		// Past 2 MiB, the Azure SDK has staged blocks before the error.
		{"after blocks", "failed2.png", 2<<20 + 300_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			err := s.Put(ctx, tt.file, "image/png", &failingReader{n: tt.readFirst})
			if !errors.Is(err, errBrokenBody) {
				t.Errorf("Put with a failing reader = %v, want an error wrapping %v", err, errBrokenBody)
			}

			f, err := s.Open(ctx, tt.file)
			if !errors.Is(err, ErrNotFound) {
				if f != nil {
					f.Close()
				}
				t.Errorf("Open after the failed Put = %v, want ErrNotFound", err)
			}
		})
	}
}

func testInvalidNames(t *testing.T, s storeOpener) {
	ctx := context.Background()
	for _, name := range []string{"../roundtrip.png", "a/b.png", "", "x.png?query", "UPPER.png"} {
		if err := s.Put(ctx, name, "image/png", bytes.NewReader([]byte("x"))); err == nil {
			t.Errorf("Put(%q) = nil, want an error", name)
		}
		if err := s.Delete(ctx, name); err == nil {
			t.Errorf("Delete(%q) = nil, want an error", name)
		}
		if _, err := s.Open(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", name, err)
		}
	}
}

func TestFileStoreContract(t *testing.T) {
	store, err := NewFileStore(t.TempDir(), "https://feedback.example.org/open311/v2/media")
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, store)
}

// testReadAfterDelete checks that a remote File whose file was deleted after Open reports
// ErrNotFound on its first Read. The file store differs here, because on Unix an open file
// stays readable after it is removed.
func testReadAfterDelete(t *testing.T, s storeOpener) {
	t.Helper()
	ctx := context.Background()
	if err := s.Put(ctx, "deleted.png", "image/png", bytes.NewReader(testBytes(100))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	f, err := s.Open(ctx, "deleted.png")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	if err := s.Delete(ctx, "deleted.png"); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	n, err := f.Read(make([]byte, 10))
	if n != 0 || !errors.Is(err, ErrNotFound) {
		t.Errorf("Read after Delete = %d, %v, want 0 and ErrNotFound", n, err)
	}
}
