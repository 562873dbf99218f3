package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"os"
	"strings"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
	"github.com/open311-to-go/open311/media"
)

// storeUpload stores one uploaded file. It sniffs the type from the first bytes, spools the
// file to a temporary file within MaxUploadBytes, removes its metadata with media.Clean
// while streaming it to the media store, and returns the stored name and URL. Memory use
// stays small whatever the file's size, except when a photo must be turned upright, which
// decodes it.
func (s *Server) storeUpload(ctx context.Context, part *multipart.Part) (upload, error) {
	fileName := part.FileName()
	if s.cfg.Media == nil {
		return upload{}, georeport.E(georeport.Unsupported, locale.MsgMediaDisabled, "media", fileName)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(part, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return upload{}, s.bodyError(err, locale.MsgMalformedBody)
	}
	head = head[:n]
	if n == 0 {
		return upload{}, georeport.E(georeport.Unsupported, locale.MsgEmptyFile, "media", fileName)
	}
	contentType, ext := media.Sniff(head)
	if ext == "" {
		// A sniffed text type has a charset parameter, which the message leaves out.
		mediaType, _, _ := strings.Cut(contentType, ";")
		return upload{}, georeport.E(georeport.Unsupported, locale.MsgUnsupportedFile, "media", fileName, mediaType)
	}

	spool, err := os.CreateTemp(s.cfg.TempDir, "open311-upload-*")
	if err != nil {
		return upload{}, georeport.Errorf(georeport.Internal, "spool upload: %w", err)
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	body := &limitedReader{r: io.MultiReader(bytes.NewReader(head), part), remaining: s.cfg.MaxUploadBytes}
	if _, err := io.Copy(spool, body); err != nil {
		switch {
		case body.exceeded:
			return upload{}, georeport.E(georeport.TooLarge, locale.MsgFileTooLarge, "media", fileName, formatLimit(s.cfg.MaxUploadBytes))
		case body.readErr != nil:
			return upload{}, s.bodyError(body.readErr, locale.MsgMalformedBody)
		}
		return upload{}, georeport.Errorf(georeport.Internal, "spool upload: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return upload{}, georeport.Errorf(georeport.Internal, "spool upload: %w", err)
	}

	name := georeport.NewRequestID() + ext
	stored := upload{name: name, url: s.cfg.Media.URL(name)}
	// The reservation marks the file until its request is stored, so that a crash in
	// between leaves a file that the media cleanup finds and deletes.
	reservation := georeport.MediaReservation{Name: name, URL: stored.url, Reserved: s.cfg.Now()}
	if err := s.store.ReserveMedia(ctx, reservation); err != nil {
		return upload{}, err
	}
	report, err := s.putClean(ctx, name, contentType, spool)
	if err != nil {
		s.releaseUploads([]upload{stored})
	}
	var invalid *media.InvalidImageError
	switch {
	case errors.Is(err, media.ErrTooManyPixels):
		return upload{}, georeport.E(georeport.TooLarge, locale.MsgImageTooLarge, "media", fileName, media.MaxPixels/1_000_000)
	case errors.As(err, &invalid):
		s.log.Info("rejected an upload that is not a valid image", "file", fileName, "content_type", contentType,
			"err", err)
		return upload{}, georeport.E(georeport.Unsupported, locale.MsgInvalidImage, "media", fileName, contentType)
	case err != nil:
		return upload{}, georeport.Errorf(georeport.Internal, "store upload %s: %w", name, err)
	}
	s.log.Debug("stored an upload", "media", name, "removed", report.Removed, "removed_bytes", report.RemovedBytes,
		"orientation", report.Orientation, "reencoded", report.Reencoded)
	return stored, nil
}

// putClean streams the file through media.Clean into the media store. When cleaning fails,
// Put fails too and the store keeps nothing, and the cleaning error is returned.
func (s *Server) putClean(ctx context.Context, name, contentType string, file io.ReadSeeker) (media.Report, error) {
	reader, writer := io.Pipe()
	type result struct {
		report media.Report
		err    error
	}
	cleaned := make(chan result, 1)
	go func() {
		report, err := media.Clean(writer, file, contentType)
		writer.CloseWithError(err)
		cleaned <- result{report, err}
	}()

	putErr := s.cfg.Media.Put(ctx, name, contentType, reader)
	// Put may stop reading early; closing the reader ends Clean's writes.
	reader.CloseWithError(errors.New("media store stopped reading"))
	clean := <-cleaned
	if clean.err != nil {
		return clean.report, clean.err
	}
	return clean.report, putErr
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

// discardUploads deletes the stored files of a POST that failed, and their reservations. A
// file that cannot be deleted keeps its reservation, so that the media cleanup tries again.
func (s *Server) discardUploads(uploads []upload) {
	var deleted []upload
	for _, u := range uploads {
		if err := s.cfg.Media.Delete(context.Background(), u.name); err != nil {
			s.log.Error("delete upload of a failed request", "media", u.name, "err", err)
			continue
		}
		deleted = append(deleted, u)
	}
	s.releaseUploads(deleted)
}

// releaseUploads deletes the reservations of uploads whose request is stored or whose file
// is gone. A reservation that stays is harmless: the media cleanup finds the file in use.
func (s *Server) releaseUploads(uploads []upload) {
	if len(uploads) == 0 {
		return
	}
	names := make([]string, len(uploads))
	for i, u := range uploads {
		names[i] = u.name
	}
	if err := s.store.ReleaseMedia(context.Background(), names); err != nil {
		s.log.Warn("release media reservations", "media", names, "err", err)
	}
}
