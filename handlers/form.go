package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
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
			return nil, nil, s.bodyError(err, locale.MsgBodyNotRead)
		}
		form, ok := parseQuery(string(body))
		if !ok {
			return nil, nil, georeport.E(georeport.Invalid, locale.MsgMalformedFormBody)
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

// bodyError returns the error of a body that failed to read with err: too large, or else the
// problem message.
func (s *Server) bodyError(err error, message locale.Message) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return georeport.E(georeport.TooLarge, locale.MsgBodyTooLarge, formatLimit(tooLarge.Limit))
	}
	return georeport.E(georeport.Invalid, message)
}

// readMultipart reads fields into memory, within MaxBodyBytes in all, and streams files named
// media or media[] to the media store, each within MaxUploadBytes. A file under another name
// is an error.
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
			return form, uploads, s.bodyError(err, locale.MsgMalformedBody)
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
		if name == "" {
			continue // a part without a field name belongs to no field
		}
		if part.FileName() != "" {
			// A file under another name, such as photo, or a text field sent as a file, such
			// as curl's -F description=@note.txt, would otherwise be lost without a word.
			return form, uploads, georeport.E(georeport.Invalid, locale.MsgFileInField, name, part.FileName())
		}
		value, err := io.ReadAll(io.LimitReader(part, fieldBudget+1))
		if err != nil {
			return form, uploads, s.bodyError(err, locale.MsgMalformedBody)
		}
		fieldBudget -= int64(len(value))
		if fieldBudget < 0 {
			return form, uploads, georeport.E(georeport.TooLarge, locale.MsgBodyTooLarge, formatLimit(s.cfg.MaxBodyBytes))
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

// formatLimit formats a size limit in bytes with the largest binary unit that divides it,
// such as 1 MiB or 512 KiB, as the -max-body and -max-upload flags take it, else in bytes.
func formatLimit(n int64) string {
	switch {
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
