package handlers

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// noisePNG writes a PNG of random pixels, which does not compress, of about size bytes.
func noisePNG(b *testing.B, size int) string {
	b.Helper()
	side := 1
	for side*side*4 < size {
		side++
	}
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	path := filepath.Join(b.TempDir(), "noise.png")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(w, img); err != nil {
		b.Fatal(err)
	}
	w.Flush()
	f.Close()
	return path
}

// BenchmarkUpload10MB posts a 10 MB photo from several clients at once over real HTTP and
// reports the peak growth of the Go heap and stacks in use, per concurrent upload. The
// clients run in the same process and stream their bodies from a file, so they add a little;
// bench/upload_memory.py measures the server process alone.
func BenchmarkUpload10MB(b *testing.B) {
	for _, concurrent := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("concurrent=%d", concurrent), func(b *testing.B) {
			benchmarkUploads(b, concurrent)
		})
	}
}

func benchmarkUploads(b *testing.B, concurrent int) {
	photo := noisePNG(b, 10<<20)
	info, err := os.Stat(photo)
	if err != nil {
		b.Fatal(err)
	}
	ts := newTestServer(b, "catalog.json", func(c *Config) { c.MaxUploadBytes = 11 << 20 })
	server := httptest.NewServer(ts)
	defer server.Close()

	var peakHeap, peakStack atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
			if m.StackInuse > peakStack.Load() {
				peakStack.Store(m.StackInuse)
			}
		}
	}()

	b.SetBytes(info.Size() * int64(concurrent))
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := postPhoto(server.URL, photo); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	close(stop)
	<-sampled

	mb := func(v uint64) float64 { return float64(v) / (1 << 20) / float64(concurrent) }
	b.ReportMetric(mb(peakHeap.Load()-min(peakHeap.Load(), base.HeapInuse)), "heap-MB/upload")
	b.ReportMetric(mb(peakStack.Load()-min(peakStack.Load(), base.StackInuse)), "stack-MB/upload")
}

// postPhoto streams a multipart POST with the photo from its file.
func postPhoto(url, photo string) error {
	body, writer := io.Pipe()
	form := multipart.NewWriter(writer)
	go func() {
		fields := map[string]string{"api_key": testKey, "service_code": "BIN", "address_string": "Kauppatori"}
		for name, value := range fields {
			form.WriteField(name, value)
		}
		part, err := form.CreateFormFile("media", "noise.png")
		if err == nil {
			var f *os.File
			if f, err = os.Open(photo); err == nil {
				_, err = io.Copy(part, f)
				f.Close()
			}
		}
		if err == nil {
			err = form.Close()
		}
		writer.CloseWithError(err)
	}()
	resp, err := http.Post(url+"/open311/v2/requests.json", form.FormDataContentType(), body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST = %d %s", resp.StatusCode, text)
	}
	return nil
}
