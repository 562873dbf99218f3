package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Upload buffers of an AzureStore. UploadStream reads the body into at most azureConcurrency
// buffers of azureBlockSize bytes each and stages one block per full buffer, so one Put holds
// at most 2 MiB of buffers, whatever the file's size. The SDK maps these buffers outside the
// Go heap (anonymous mmap on Unix), and 1 MiB is its minimum block size (azblob v1.8.3,
// blockblob/chunkwriting.go).
const (
	azureBlockSize   = 1 << 20
	azureConcurrency = 2
)

// immutableCacheControl is the Cache-Control of every stored file. Names are drawn at random
// and never reused, so a file's bytes never change under its URL.
const immutableCacheControl = "public, max-age=31536000, immutable"

// developmentStorage is the connection string of the storage emulator (Azurite) on its default
// port, for the shorthand "UseDevelopmentStorage=true" that Azure Functions' local settings use.
// The account name and key are the emulator's public, documented development credentials.
const developmentStorage = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
	"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
	"BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"

// AzureStore keeps files as block blobs in an Azure Blob Storage container. The container is
// private, so by default this server serves the files itself through Open.
type AzureStore struct {
	container     *container.Client
	containerName string
	baseURL       string
}

// NewAzureStore returns a store in the named container of the storage account that
// connectionString names, and creates the container, with private access, when it is missing.
// baseURL is the URL that files are published under: this server's own media URL, or the blob
// endpoint or a CDN in front of it when the container is readable from outside.
//
// Errors never contain the connection string or the account key.
func NewAzureStore(ctx context.Context, connectionString, containerName, baseURL string) (*AzureStore, error) {
	if err := checkContainerName(containerName); err != nil {
		return nil, err
	}
	client, err := newContainerClient(connectionString, containerName)
	if err != nil {
		return nil, err
	}

	// NOTE: Create needs the right to create containers even when the container exists, so
	// a shared access signature scoped to one container fails here.
	s := &AzureStore{container: client, containerName: containerName, baseURL: baseURL}
	_, err = client.Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return nil, s.wrap("create", "", err)
	}
	return s, nil
}

// newContainerClient returns a client of the container in the storage account that
// connectionString names. It parses the string and sends no request.
func newContainerClient(connectionString, containerName string) (*container.Client, error) {
	if strings.EqualFold(strings.TrimRight(connectionString, ";"), "UseDevelopmentStorage=true") {
		connectionString = developmentStorage
	}
	client, err := container.NewClientFromConnectionString(connectionString, containerName, nil)
	if err != nil {
		// The SDK's parse errors are fixed texts that quote no part of the string.
		return nil, fmt.Errorf("media: invalid Azure Storage connection string: %w", err)
	}
	return client, nil
}

// Put uploads the file as a block blob with its Content-Type and an immutable Cache-Control.
// The SDK sends a file smaller than one block in a single Put Blob request after r reached its
// end. A larger file is staged block by block and the block list is committed only after r
// reached its end and every block was staged. Either way a Put that fails leaves no blob.
// Blocks staged before a failure stay uncommitted and invisible to reads and listings, and
// Azure discards them a week after the last Put Block on the blob, as its REST reference for
// Put Block states.
func (s *AzureStore) Put(ctx context.Context, name, contentType string, r io.Reader) error {
	if !ValidName(name) {
		return fmt.Errorf("media: invalid file name %q", name)
	}

	cacheControl := immutableCacheControl
	options := &blockblob.UploadStreamOptions{
		BlockSize:   azureBlockSize,
		Concurrency: azureConcurrency,
		HTTPHeaders: &blob.HTTPHeaders{
			BlobContentType:  &contentType,
			BlobCacheControl: &cacheControl,
		},
	}
	body := &recordingReader{r: r}
	_, err := s.container.NewBlockBlobClient(name).UploadStream(ctx, body, options)
	if body.err != nil {
		return fmt.Errorf("media: read upload body for %s: %w", name, body.err)
	}
	if err != nil {
		return s.wrap("upload", name, err)
	}
	return nil
}

// Delete deletes the blob and its snapshots. A missing blob is not an error.
func (s *AzureStore) Delete(ctx context.Context, name string) error {
	if !ValidName(name) {
		return fmt.Errorf("media: invalid file name %q", name)
	}

	options := &blob.DeleteOptions{DeleteSnapshots: ptr(blob.DeleteSnapshotsOptionTypeInclude)}
	_, err := s.container.NewBlobClient(name).Delete(ctx, options)
	if err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound) {
		return s.wrap("delete", name, err)
	}
	return nil
}

// URL returns the file's URL under the base URL.
func (s *AzureStore) URL(name string) string { return s.baseURL + "/" + name }

// Open reads the blob's properties and returns a File that downloads ranges on demand. It
// returns ErrNotFound when the blob does not exist. Reads of the File use ctx.
func (s *AzureStore) Open(ctx context.Context, name string) (*File, error) {
	if !ValidName(name) {
		return nil, ErrNotFound
	}

	client := s.container.NewBlobClient(name)
	props, err := client.GetProperties(ctx, nil)
	if isBlobNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, s.wrap("read properties of", name, err)
	}
	if props.ContentLength == nil {
		return nil, fmt.Errorf("media: read properties of %s: Azure sent no Content-Length", name)
	}

	var modTime time.Time
	if props.LastModified != nil {
		modTime = *props.LastModified
	}

	// If-Match keeps every range on the blob version whose size the File reports.
	conditions := &blob.AccessConditions{
		ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: props.ETag},
	}
	download := func(ctx context.Context, offset int64) (io.ReadCloser, error) {
		options := &blob.DownloadStreamOptions{
			Range:            blob.HTTPRange{Offset: offset},
			AccessConditions: conditions,
		}
		resp, err := client.DownloadStream(ctx, options)
		if bloberror.HasCode(err, bloberror.ConditionNotMet) {
			// Azurite 3.35.0 returns 412 for If-Match on a deleted blob, so GetProperties
			// distinguishes a deleted blob from a replaced one.
			_, err = client.GetProperties(ctx, nil)
			if err == nil {
				return nil, fmt.Errorf("media: download %s: the blob was replaced after Open", name)
			}
		}
		if isBlobNotFound(err) {
			return nil, fmt.Errorf("media: download %s: %w", name, ErrNotFound)
		}
		if err != nil {
			return nil, s.wrap("download", name, err)
		}
		return resp.NewRetryReader(ctx, nil), nil
	}

	reader := &rangeReader{ctx: ctx, size: *props.ContentLength, download: download}
	return &File{ReadSeekCloser: reader, ModTime: modTime, Size: *props.ContentLength}, nil
}

// isBlobNotFound reports whether err is Azure's error response for a missing blob. A HEAD request
// carries the error code only in a header, so a 404 without a code counts too, but a missing
// container does not: that is a configuration error, not a missing file.
func isBlobNotFound(err error) bool {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		return false
	}
	if respErr.ErrorCode == string(bloberror.BlobNotFound) {
		return true
	}
	return respErr.StatusCode == http.StatusNotFound && respErr.ErrorCode == ""
}

// wrap returns err as a one-line error that names the operation, the container and the blob.
// It keeps the SDK's error for errors.As and drops the request URL's query string, where a
// shared access signature from the connection string would be.
func (s *AzureStore) wrap(op, name string, err error) error {
	target := "container " + s.containerName
	if name != "" {
		target = name + " in " + target
	}

	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		return &azureError{op: op, target: target, status: respErr.StatusCode, code: respErr.ErrorCode, err: err}
	}
	return fmt.Errorf("media: %s %s: %w", op, target, redactURLError(err))
}

// azureError is an error response from Azure Blob Storage. Its message is one line, because
// the SDK's own message spans many lines with the response body.
type azureError struct {
	op, target string
	status     int
	code       string
	err        error
}

func (e *azureError) Error() string {
	code := e.code
	if code == "" {
		code = "no error code"
	}
	msg := fmt.Sprintf("media: %s %s: Azure Blob Storage returned %d %s (%s)", e.op, e.target, e.status, http.StatusText(e.status), code)
	if e.status == http.StatusForbidden {
		msg += ", so check the account key or shared access signature in the connection string"
	}
	return msg
}

func (e *azureError) Unwrap() error { return e.err }

// checkContainerName returns an error when name is not a valid container name.
func checkContainerName(name string) error {
	if !validContainerName(name) {
		return fmt.Errorf("media: invalid Azure container name %q: use 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit", name)
	}
	return nil
}

// validContainerName reports whether name follows Azure's rules for container names: 3 to 63
// lowercase letters, digits and hyphens, starting and ending with a letter or digit, with no
// two hyphens in a row. The special containers $root and $web are valid too.
func validContainerName(name string) bool {
	if name == "$root" || name == "$web" {
		return true
	}
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(name)-1 && name[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// ptr returns a pointer to v, as the SDK's optional fields need.
func ptr[T any](v T) *T { return &v }
