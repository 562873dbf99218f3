package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
)

// rangeReader is the io.ReadSeekCloser of a File kept on another host. Seek only moves the
// offset. The first Read after a Seek that moved it starts one download from the offset to the
// end of the file, and later Reads continue that download, so http.ServeContent can serve a
// range without fetching the bytes before it. A rangeReader is not safe for concurrent use.
type rangeReader struct {
	// ctx is the context given to Open, which every download uses.
	ctx context.Context

	// size is the file's length in bytes when it was opened. Reads stop there.
	size int64

	// download returns the file's bytes from offset to its end.
	download func(ctx context.Context, offset int64) (io.ReadCloser, error)

	offset int64
	body   io.ReadCloser // nil until the first Read, and again after a Seek that moved
	closed bool
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fs.ErrClosed
	}
	if r.offset >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}

	if r.body == nil {
		body, err := r.download(r.ctx, r.offset)
		if err != nil {
			return 0, err
		}
		r.body = body
	}

	if remaining := r.size - r.offset; int64(len(p)) > remaining {
		p = p[:remaining]
	}
	n, err := r.body.Read(p)
	r.offset += int64(n)
	if errors.Is(err, io.EOF) && r.offset < r.size {
		return n, fmt.Errorf("media: download ended at byte %d of %d: %w", r.offset, r.size, io.ErrUnexpectedEOF)
	}
	if err == nil && r.offset == r.size {
		err = io.EOF
	}
	return n, err
}

// Seek sets the offset for the next Read. It sends no request.
func (r *rangeReader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, fs.ErrClosed
	}

	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.offset + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, fmt.Errorf("media: seek: invalid whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("media: seek to negative offset %d", abs)
	}

	if abs != r.offset && r.body != nil {
		r.body.Close()
		r.body = nil
	}
	r.offset = abs
	return abs, nil
}

// Close ends the current download, if any. Closing a download before its end drops its
// connection, because the rest of the response is not read.
func (r *rangeReader) Close() error {
	if r.closed {
		return fs.ErrClosed
	}
	r.closed = true
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

// recordingReader passes reads through to r and keeps the first error other than io.EOF, so
// that Put can tell a failed upload body from a failed connection.
type recordingReader struct {
	r   io.Reader
	err error
}

func (rr *recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && rr.err == nil {
		rr.err = err
	}
	return n, err
}

// redactURLError returns err with the query string and user information removed from the URL
// of any *url.Error in it, because a shared access signature or a password can sit there.
func redactURLError(err error) error {
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		return err
	}
	u, parseErr := url.Parse(urlErr.URL)
	if parseErr != nil {
		return &url.Error{Op: urlErr.Op, URL: "(unparsable URL)", Err: urlErr.Err}
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return &url.Error{Op: urlErr.Op, URL: u.String(), Err: urlErr.Err}
}
