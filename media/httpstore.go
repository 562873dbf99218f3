package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// httpCleanupTimeout bounds the DELETE that removes what a failed PUT may have left.
const httpCleanupTimeout = 10 * time.Second

// HTTPStore keeps files on a separate media host. The host stores a file on PUT {base}/NAME,
// removes it on DELETE, and serves it at the same URL to GET and HEAD, with Range support.
type HTTPStore struct {
	base      string // scheme, host and path, without user information or a trailing slash
	publicURL string // base of the URLs that files are published under
	client    *http.Client
	user      *url.Userinfo // nil when the URL has no credentials
}

// NewHTTPStore returns a store on the media host at rawURL, such as
// "https://media.example.org/open311". Files are published under the same URL.
//
// Credentials in the URL, as in "https://user:password@media.example.org/open311", are sent
// as HTTP Basic authentication with every request, and so they require https. Plain http is
// accepted only for a loopback host, which tests use. Errors show the URL with the password
// replaced by "xxxxx".
//
// client sets the timeouts and the TLS configuration. When it is nil, a client is used that
// waits at most 30 seconds for response headers and has no limit on the whole transfer. The
// store follows no redirects, so that credentials reach only the host in rawURL.
func NewHTTPStore(rawURL string, client *http.Client) (*HTTPStore, error) {
	u, err := parseMediaHostURL(rawURL)
	if err != nil {
		return nil, err
	}

	user := u.User
	u.User = nil
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	base := u.String()

	if client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.ResponseHeaderTimeout = 30 * time.Second
		client = &http.Client{Transport: transport}
	}
	noRedirects := *client
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}

	return &HTTPStore{base: base, publicURL: base, client: &noRedirects, user: user}, nil
}

// parseMediaHostURL parses rawURL and checks it as checkMediaHostURL does.
func parseMediaHostURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// The parse error quotes the whole URL, password included, so only its cause is kept.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("media: invalid media host URL: %w", err)
	}
	if err := checkMediaHostURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// checkMediaHostURL returns an error when u cannot be the base URL of a media host.
func checkMediaHostURL(u *url.URL) error {
	redacted := u.Redacted()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("media: invalid media host URL %q: use https://HOST/PATH", redacted)
	case u.Host == "":
		return fmt.Errorf("media: invalid media host URL %q: the host is missing", redacted)
	case !validPort(u.Port()):
		return fmt.Errorf("media: invalid media host URL %q: the port is not a number from 1 to 65535", redacted)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Errorf("media: invalid media host URL %q: remove the query string and fragment", redacted)
	case u.Scheme == "http" && u.User != nil:
		return fmt.Errorf("media: invalid media host URL %q: credentials would be sent in clear text, so use https://", redacted)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("media: invalid media host URL %q: http:// is accepted only for a loopback host, so use https://", redacted)
	}
	return nil
}

// validPort reports whether port, from url.URL.Port, is empty or a number from 1 to 65535.
// url.Parse checks only that it is made of digits.
func validPort(port string) bool {
	if port == "" {
		return true
	}
	number, err := strconv.Atoi(port)
	return err == nil && number >= 1 && number <= 65535
}

// isLoopback reports whether host is "localhost" or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Put sends the file with PUT, streaming r with chunked transfer encoding because its length
// is unknown. A response other than 2xx is an error. After a failed connection or a 5xx
// response Put sends DELETE, because the host may have kept part of the file.
func (s *HTTPStore) Put(ctx context.Context, name, contentType string, r io.Reader) error {
	if !ValidName(name) {
		return fmt.Errorf("media: invalid file name %q", name)
	}

	body := &recordingReader{r: r}
	req, err := s.newRequest(ctx, http.MethodPut, name, body)
	if err != nil {
		return err
	}
	req.ContentLength = -1
	req.Header.Set("Content-Type", contentType)

	resp, err := s.client.Do(req)
	if err != nil {
		if body.err != nil {
			err = fmt.Errorf("media: read upload body for %s: %w", name, body.err)
		} else {
			err = fmt.Errorf("media: upload %s: %w", name, err)
		}
		return s.cleanUp(ctx, name, err)
	}
	discardAndClose(resp.Body)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := statusError(req, resp)
		if resp.StatusCode >= 500 {
			return s.cleanUp(ctx, name, err)
		}
		return err
	}
	return nil
}

// cleanUp deletes name after the failed upload that putErr reports, with a context that
// outlives a canceled request, and returns putErr joined with the error of the DELETE, if any.
func (s *HTTPStore) cleanUp(ctx context.Context, name string, putErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpCleanupTimeout)
	defer cancel()

	if err := s.Delete(ctx, name); err != nil {
		return errors.Join(putErr, err)
	}
	return putErr
}

// Delete sends DELETE. A 404 or 410 response means the file is already gone.
func (s *HTTPStore) Delete(ctx context.Context, name string) error {
	if !ValidName(name) {
		return fmt.Errorf("media: invalid file name %q", name)
	}

	req, err := s.newRequest(ctx, http.MethodDelete, name, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("media: delete %s: %w", name, err)
	}
	discardAndClose(resp.Body)

	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return nil
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		return nil
	}
	return statusError(req, resp)
}

// URL returns the file's URL on the media host.
func (s *HTTPStore) URL(name string) string { return s.publicURL + "/" + name }

// Open sends HEAD for the file's size and modification time and returns a File that
// downloads ranges with GET on demand. It returns ErrNotFound for a 404 or 410 response.
// Reads of the File use ctx.
func (s *HTTPStore) Open(ctx context.Context, name string) (*File, error) {
	if !ValidName(name) {
		return nil, ErrNotFound
	}

	req, err := s.newRequest(ctx, http.MethodHead, name, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", name, err)
	}
	discardAndClose(resp.Body)

	switch {
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		return nil, ErrNotFound
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, statusError(req, resp)
	case resp.ContentLength < 0:
		return nil, fmt.Errorf("media: HEAD %s: the media host sent no Content-Length", req.URL)
	}

	// A missing or invalid Last-Modified leaves the zero time, which http.ServeContent ignores.
	modTime, _ := http.ParseTime(resp.Header.Get("Last-Modified"))

	download := func(ctx context.Context, offset int64) (io.ReadCloser, error) {
		return s.download(ctx, name, offset)
	}
	reader := &rangeReader{ctx: ctx, size: resp.ContentLength, download: download}
	return &File{ReadSeekCloser: reader, ModTime: modTime, Size: resp.ContentLength}, nil
}

// download sends GET for the file's bytes from offset to its end.
func (s *HTTPStore) download(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	req, err := s.newRequest(ctx, http.MethodGet, name, nil)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("media: download %s: %w", name, err)
	}

	switch {
	case resp.StatusCode == http.StatusPartialContent:
		want := fmt.Sprintf("bytes %d-", offset)
		if got := resp.Header.Get("Content-Range"); !strings.HasPrefix(got, want) {
			discardAndClose(resp.Body)
			return nil, fmt.Errorf("media: GET %s: the media host sent Content-Range %q for Range %q", req.URL, got, req.Header.Get("Range"))
		}
		return resp.Body, nil

	case resp.StatusCode == http.StatusOK:
		if offset > 0 {
			// NOTE: this host ignores Range, so every download from an offset fetches and
			// drops the bytes before it.
			if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
				resp.Body.Close()
				return nil, fmt.Errorf("media: download %s: skip to byte %d: %w", name, offset, err)
			}
		}
		return resp.Body, nil

	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		discardAndClose(resp.Body)
		return nil, fmt.Errorf("media: GET %s: %w", req.URL, ErrNotFound)
	}

	discardAndClose(resp.Body)
	return nil, statusError(req, resp)
}

// newRequest returns a request for the file's URL, with Basic authentication when the store
// has credentials. Accept-Encoding is identity so that the size from HEAD and the offsets of
// ranges count the stored bytes, not compressed ones.
func (s *HTTPStore) newRequest(ctx context.Context, method, name string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+"/"+name, body)
	if err != nil {
		return nil, fmt.Errorf("media: %s %s: %w", method, name, err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	if s.user != nil {
		password, _ := s.user.Password()
		req.SetBasicAuth(s.user.Username(), password)
	}
	return req, nil
}

// statusError returns the error for a response whose status is not the one expected.
func statusError(req *http.Request, resp *http.Response) error {
	return fmt.Errorf("media: %s %s: the media host returned %s", req.Method, req.URL, resp.Status)
}

// discardAndClose reads up to 4 KiB of body, so that the connection can serve the next
// request, and closes it.
func discardAndClose(body io.ReadCloser) {
	io.CopyN(io.Discard, body, 4<<10)
	body.Close()
}
