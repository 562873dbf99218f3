package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
	"github.com/open311-to-go/open311/media"
)

// upload is a file of a POST that the media store holds. It is deleted again when the POST
// fails.
type upload struct {
	name string
	url  string
}

// readForm reads the POST body: form-urlencoded, or multipart with media files, which go to
// the media store as they arrive. Query parameters count as well, after the body's fields.
// It returns the fields and the stored files; on error nothing stays stored.
func (s *Server) readForm(x *exchange) (url.Values, []upload, error) {
	mt, params := mediaType(x.r)
	switch mt {
	case "application/x-www-form-urlencoded":
		x.r.Body = http.MaxBytesReader(x.w, x.r.Body, s.cfg.MaxBodyBytes)
		body, err := io.ReadAll(x.r.Body)
		if err != nil {
			return nil, nil, s.bodyError(err)
		}
		form, ok := parseQuery(string(body))
		if !ok {
			return nil, nil, georeport.E(georeport.Invalid, locale.MsgMalformedBody)
		}
		return withQuery(form, x.query), nil, nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, nil, georeport.E(georeport.Invalid, locale.MsgMalformedBody)
		}
		form, uploads, err := s.readMultipart(x, params["boundary"])
		if err != nil {
			s.discardUploads(uploads)
			return nil, nil, err
		}
		return withQuery(form, x.query), uploads, nil
	}
	if x.r.Header.Get("Content-Type") == "" {
		return nil, nil, georeport.E(georeport.Unsupported, locale.MsgContentTypeMissing)
	}
	return nil, nil, georeport.E(georeport.Unsupported, locale.MsgUnsupportedBody, x.r.Header.Get("Content-Type"))
}

func withQuery(form, query url.Values) url.Values {
	for name, values := range query {
		form[name] = append(form[name], values...)
	}
	return form
}

func (s *Server) bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return georeport.E(georeport.TooLarge, locale.MsgBodyTooLarge, tooLarge.Limit)
	}
	return georeport.E(georeport.Invalid, locale.MsgMalformedBody)
}

// readMultipart reads fields into memory, within MaxBodyBytes in all, and streams files named
// media or media[] to the media store, each within MaxUploadBytes.
func (s *Server) readMultipart(x *exchange, boundary string) (url.Values, []upload, error) {
	limit := s.cfg.MaxBodyBytes + int64(s.cfg.MaxUploads+1)*s.cfg.MaxUploadBytes
	x.r.Body = http.MaxBytesReader(x.w, x.r.Body, limit)
	reader := multipart.NewReader(x.r.Body, boundary)
	form := url.Values{}
	var uploads []upload
	fieldBudget := s.cfg.MaxBodyBytes
	for {
		part, err := reader.NextPart()
		if err == io.EOF {
			return form, uploads, nil
		}
		if err != nil {
			return form, uploads, s.bodyError(err)
		}
		name := part.FormName()
		if name == "media" || name == "media[]" {
			if len(uploads) == s.cfg.MaxUploads {
				return form, uploads, georeport.E(georeport.Invalid, locale.MsgTooManyFiles, "media",
					len(uploads)+1+countRemainingFiles(reader), s.cfg.MaxUploads)
			}
			u, err := s.storeUpload(x.r.Context(), part)
			if err != nil {
				return form, uploads, err
			}
			uploads = append(uploads, u)
			continue
		}
		if name == "" || part.FileName() != "" {
			continue // a part without a field name, or a file under another name, is ignored
		}
		value, err := io.ReadAll(io.LimitReader(part, fieldBudget+1))
		if err != nil {
			return form, uploads, s.bodyError(err)
		}
		fieldBudget -= int64(len(value))
		if fieldBudget < 0 {
			return form, uploads, georeport.E(georeport.TooLarge, locale.MsgBodyTooLarge, s.cfg.MaxBodyBytes)
		}
		form.Add(name, string(value))
	}
}

// countRemainingFiles counts the media parts left in the body, for the description of a
// request with too many files. It stops at the first error.
func countRemainingFiles(reader *multipart.Reader) int {
	n := 0
	for {
		part, err := reader.NextPart()
		if err != nil {
			return n
		}
		if name := part.FormName(); name == "media" || name == "media[]" {
			n++
		}
	}
}

// storeUpload sniffs the type of one file from its first bytes and streams it to the media
// store under a random name with the type's extension.
func (s *Server) storeUpload(ctx context.Context, part *multipart.Part) (upload, error) {
	if s.cfg.Media == nil {
		return upload{}, georeport.E(georeport.Unsupported, locale.MsgUnsupportedFile, "media", part.FileName(), "not accepted here")
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(part, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return upload{}, s.bodyError(err)
	}
	head = head[:n]
	contentType, ext := media.Sniff(head)
	if ext == "" {
		return upload{}, georeport.E(georeport.Unsupported, locale.MsgUnsupportedFile, "media", part.FileName(), contentType)
	}

	name := georeport.NewRequestID() + ext
	body := &limitedReader{r: io.MultiReader(bytes.NewReader(head), part), remaining: s.cfg.MaxUploadBytes}
	if err := s.cfg.Media.Put(ctx, name, contentType, body); err != nil {
		if body.exceeded {
			return upload{}, georeport.E(georeport.TooLarge, locale.MsgFileTooLarge, "media", part.FileName(), s.cfg.MaxUploadBytes)
		}
		if body.readErr != nil {
			return upload{}, s.bodyError(body.readErr)
		}
		return upload{}, georeport.Errorf(georeport.Internal, "store upload: %w", err)
	}
	return upload{name: name, url: s.cfg.Media.URL(name)}, nil
}

// discardUploads deletes stored files of a POST that failed.
func (s *Server) discardUploads(uploads []upload) {
	for _, u := range uploads {
		if err := s.cfg.Media.Delete(context.Background(), u.name); err != nil {
			s.log.Error("delete upload of a failed request", "file", u.name, "err", err)
		}
	}
}

var errUploadTooLarge = errors.New("upload is larger than the limit")

// limitedReader fails with errUploadTooLarge once more than remaining bytes are read. It
// records the body's own read errors, so that a broken upload counts as the client's fault
// and a failing media store as the server's.
type limitedReader struct {
	r         io.Reader
	remaining int64
	exceeded  bool
	readErr   error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err != nil && err != io.EOF {
		l.readErr = err
	}
	l.remaining -= int64(n)
	if l.remaining < 0 {
		l.exceeded = true
		return n, errUploadTooLarge
	}
	return n, err
}
