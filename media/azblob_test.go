package media

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Azurite's account name and key are the storage emulator's documented development
// credentials, the same in every installation.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azuriteInstall is the command that installs Azurite where the tests look for it.
const azuriteInstall = "npm install --prefix .cache/azurite azurite@3.35.0"

// findAzurite returns the path of azurite-blob: $AZURITE_BIN, else
// .cache/azurite/node_modules/.bin/azurite-blob in the repository, else azurite-blob on PATH.
func findAzurite(t *testing.T) (string, bool) {
	t.Helper()
	if bin := os.Getenv("AZURITE_BIN"); bin != "" {
		return bin, true
	}

	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			bin := filepath.Join(dir, ".cache", "azurite", "node_modules", ".bin", "azurite-blob")
			if _, err := os.Stat(bin); err == nil {
				return bin, true
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}

	bin, err := exec.LookPath("azurite-blob")
	return bin, err == nil
}

var azuriteListening = regexp.MustCompile(`successfully listens on http://127\.0\.0\.1:(\d+)`)

// startAzurite starts Azurite's blob service on a free loopback port with a temporary data
// folder and returns its connection string. The test is skipped when Node.js or Azurite is
// missing. Azurite is stopped when the test ends.
func startAzurite(t *testing.T) string {
	t.Helper()
	bin, ok := findAzurite(t)
	if !ok {
		t.Skipf("Azurite not found: run %q in the repository root (Node.js 20 or later), or set AZURITE_BIN to the azurite-blob program", azuriteInstall)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("Node.js not found, which Azurite needs: install Node.js 20, then run %q in the repository root", azuriteInstall)
	}

	// Port 0 lets the system pick a free port, which Azurite prints once it listens.
	cmd := exec.Command(bin,
		"--blobHost", "127.0.0.1", "--blobPort", "0",
		"--location", t.TempDir(),
		"--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	port := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if m := azuriteListening.FindStringSubmatch(scanner.Text()); m != nil {
				port <- m[1]
			}
		}
		close(port)
	}()

	select {
	case p, ok := <-port:
		if !ok {
			t.Fatalf("Azurite exited before it listened: %s", stderr.String())
		}
		return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/%s;",
			azuriteAccount, azuriteKey, p, azuriteAccount)
	case <-time.After(30 * time.Second):
		t.Fatalf("Azurite did not listen within 30 seconds: %s", stderr.String())
	}
	return ""
}

// newTestAzureStore returns a store in a new container of the Azurite at connectionString.
func newTestAzureStore(t *testing.T, connectionString, containerName string) *AzureStore {
	t.Helper()
	store, err := NewAzureStore(context.Background(), connectionString, containerName, "https://feedback.example.org/open311/v2/media")
	if err != nil {
		t.Fatalf("NewAzureStore: %v", err)
	}
	return store
}

// TestAzureStore runs every Azure case against one Azurite, because each start takes seconds.
func TestAzureStore(t *testing.T) {
	connectionString := startAzurite(t)

	t.Run("Contract", func(t *testing.T) {
		testStore(t, newTestAzureStore(t, connectionString, "contract"))
	})
	t.Run("URL", func(t *testing.T) {
		store := newTestAzureStore(t, connectionString, "url")
		if got, want := store.URL("abc123.jpg"), "https://feedback.example.org/open311/v2/media/abc123.jpg"; got != want {
			t.Errorf("URL = %q, want %q", got, want)
		}
	})
	t.Run("BlobHeaders", func(t *testing.T) { testAzureBlobHeaders(t, connectionString) })
	t.Run("PrivateContainer", func(t *testing.T) { testAzurePrivateContainer(t, connectionString) })
	t.Run("FailedPutCommitsNoBlock", func(t *testing.T) { testAzureFailedPut(t, connectionString) })
	t.Run("ReadAfterDelete", func(t *testing.T) {
		testReadAfterDelete(t, newTestAzureStore(t, connectionString, "deleted"))
	})
	t.Run("ReadAfterReplace", func(t *testing.T) { testAzureReadAfterReplace(t, connectionString) })
	t.Run("UploadMemory", func(t *testing.T) { testAzureUploadMemory(t, connectionString) })
	t.Run("NoKeyInErrors", func(t *testing.T) { testAzureNoKeyInErrors(t, connectionString) })
	t.Run("OpenFromEnvironment", func(t *testing.T) { testOpenAzblob(t, connectionString) })
}

func testAzureBlobHeaders(t *testing.T, connectionString string) {
	store := newTestAzureStore(t, connectionString, "headers")
	ctx := context.Background()
	if err := store.Put(ctx, "photo.jpg", "image/jpeg", bytes.NewReader(testBytes(1000))); err != nil {
		t.Fatalf("Put: %v", err)
	}

	props, err := store.container.NewBlobClient("photo.jpg").GetProperties(ctx, nil)
	if err != nil {
		t.Fatalf("GetProperties: %v", err)
	}
	if got := deref(props.ContentType); got != "image/jpeg" {
		t.Errorf("Content-Type = %q, want image/jpeg", got)
	}
	if got := deref(props.CacheControl); got != immutableCacheControl {
		t.Errorf("Cache-Control = %q, want %q", got, immutableCacheControl)
	}
}

func testAzurePrivateContainer(t *testing.T, connectionString string) {
	store := newTestAzureStore(t, connectionString, "private")
	props, err := store.container.GetProperties(context.Background(), nil)
	if err != nil {
		t.Fatalf("GetProperties of the container: %v", err)
	}
	if props.BlobPublicAccess != nil {
		t.Errorf("container public access = %q, want none", *props.BlobPublicAccess)
	}

	// A second store on the same container finds it there.
	newTestAzureStore(t, connectionString, "private")
}

// testAzureFailedPut checks on the block list what the contract test checks with Open: a Put
// that fails after staging blocks commits none.
func testAzureFailedPut(t *testing.T, connectionString string) {
	store := newTestAzureStore(t, connectionString, "failed")
	ctx := context.Background()

	err := store.Put(ctx, "broken.png", "image/png", &failingReader{n: 3<<20 + 100})
	if !errors.Is(err, errBrokenBody) {
		t.Fatalf("Put = %v, want an error wrapping %v", err, errBrokenBody)
	}

	blocks, err := store.container.NewBlockBlobClient("broken.png").GetBlockList(ctx, blockblob.BlockListTypeAll, nil)
	if err == nil {
		if n := len(blocks.CommittedBlocks); n != 0 {
			t.Errorf("the failed Put committed %d blocks, want 0", n)
		}
		t.Logf("the failed Put left %d uncommitted blocks", len(blocks.UncommittedBlocks))
	} else if !isBlobNotFound(err) {
		t.Fatalf("GetBlockList = %v, want a block list or BlobNotFound", err)
	}

	pager := store.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list blobs: %v", err)
		}
		for _, item := range page.Segment.BlobItems {
			t.Errorf("the container lists blob %q after a failed Put", deref(item.Name))
		}
	}
}

// testAzureReadAfterReplace checks that a File does not mix the bytes of two versions of a
// blob: every range is read with If-Match on the ETag that Open saw.
func testAzureReadAfterReplace(t *testing.T, connectionString string) {
	store := newTestAzureStore(t, connectionString, "replaced")
	ctx := context.Background()
	if err := store.Put(ctx, "photo.png", "image/png", bytes.NewReader(testBytes(100))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	f, err := store.Open(ctx, "photo.png")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	if err := store.Put(ctx, "photo.png", "image/png", bytes.NewReader(testBytes(200))); err != nil {
		t.Fatalf("Put of the second version: %v", err)
	}

	_, err = f.Read(make([]byte, 10))
	if err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("Read after the blob was replaced = %v, want an error saying it was replaced", err)
	}
}

// testAzureUploadMemory uploads 10 MiB and reports the Go heap allocated during Put and the
// growth of the resident set, which includes the SDK's buffers outside the Go heap.
func testAzureUploadMemory(t *testing.T, connectionString string) {
	store := newTestAzureStore(t, connectionString, "memory")
	ctx := context.Background()
	const size = 10 << 20
	data := testBytes(size)

	runtime.GC()
	rssBefore := residentBytes()
	var peakRSS atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peakRSS.Store(max(peakRSS.Load(), residentBytes()))
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := store.Put(ctx, "large.jpg", "image/jpeg", bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatalf("Put: %v", err)
	}

	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("Put of %d MiB: %.2f MiB allocated on the Go heap, heap in use %+.2f MiB, peak resident set %+.2f MiB (block size %d KiB, concurrency %d)",
		size>>20, mib(int64(allocated)), mib(int64(after.HeapInuse)-int64(before.HeapInuse)),
		mib(peakRSS.Load()-rssBefore), azureBlockSize>>10, azureConcurrency)

	// The body is not copied onto the heap: anything near its size would mean a full copy.
	if allocated > size/2 {
		t.Errorf("Put allocated %.2f MiB on the Go heap for a %d MiB file, want under %d MiB", mib(int64(allocated)), size>>20, size>>21)
	}

	f, err := store.Open(ctx, "large.jpg")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("reading back %d bytes, error %v: the bytes differ from the %d put", len(got), err, size)
	}
}

// residentBytes returns the resident set size of this process from /proc, or 0 where there is
// no /proc.
func residentBytes() int64 {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(statm))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func testAzureNoKeyInErrors(t *testing.T, connectionString string) {
	const wrongKey = "d3Jvbmcta2V5LWZvci10ZXN0cy13cm9uZy1rZXktZm9yLXRlc3RzLXdyb25nLWtleQ=="
	const signature = "sv=2023-01-03&ss=b&srt=co&sp=rwdl&sig=c2lnbmF0dXJlLWZvci10ZXN0cw%3D%3D"
	endpoint := connectionString[strings.Index(connectionString, "BlobEndpoint="):]

	tests := []struct {
		name, connectionString, secret string
	}{
		{"wrong account key", strings.Replace(connectionString, azuriteKey, wrongKey, 1), wrongKey},
		{"shared access signature", endpoint + "SharedAccessSignature=" + signature, "c2lnbmF0dXJl"},
		{"unreachable endpoint", "BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;SharedAccessSignature=" + signature, "c2lnbmF0dXJl"},
		{"invalid key", "AccountName=devstoreaccount1;AccountKey=not*base64;BlobEndpoint=http://127.0.0.1:1/x", "not*base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := NewAzureStore(ctx, tt.connectionString, "secrets", "https://feedback.example.org/media")
			if err == nil {
				t.Fatal("NewAzureStore = nil, want an error")
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error contains the secret: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func testOpenAzblob(t *testing.T, connectionString string) {
	env := map[string]string{"AzureWebJobsStorage": connectionString}
	getenv := func(key string) string { return env[key] }

	store, err := Open(context.Background(), "azblob:open-env", "https://feedback.example.org/media/", getenv)
	if err != nil {
		t.Fatalf("Open(azblob:open-env): %v", err)
	}
	if _, ok := store.(*AzureStore); !ok {
		t.Fatalf("Open(azblob:open-env) returned a %T, want *AzureStore", store)
	}
	if got, want := store.URL("a.png"), "https://feedback.example.org/media/a.png"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if err := store.Put(context.Background(), "a.png", "image/png", bytes.NewReader([]byte("png"))); err != nil {
		t.Errorf("Put: %v", err)
	}
}

func TestValidContainerName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"media", true},
		{"open311-media", true},
		{"abc", true},
		{strings.Repeat("a", 63), true},
		{"$web", true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"Media", false},
		{"-media", false},
		{"media-", false},
		{"open--media", false},
		{"open_media", false},
		{"open/media", false},
	}
	for _, tt := range tests {
		if got := validContainerName(tt.name); got != tt.want {
			t.Errorf("validContainerName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
