package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// statusOf maps an error kind to its HTTP status.
func statusOf(kind georeport.Kind) int {
	switch kind {
	case georeport.Invalid:
		return http.StatusBadRequest
	case georeport.Forbidden:
		return http.StatusForbidden
	case georeport.NotFound:
		return http.StatusNotFound
	case georeport.Conflict:
		return http.StatusConflict
	case georeport.TooLarge:
		return http.StatusRequestEntityTooLarge
	case georeport.Unsupported:
		return http.StatusUnsupportedMediaType
	case georeport.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// statusClientClosed is the status that the access log records for a request whose client
// closed the connection before the response, as nginx does. It is never sent.
const statusClientClosed = 499

// statusError is an error of the HTTP layer with its own status, such as 429, which no
// domain kind has.
type statusError struct {
	status  int
	problem georeport.Problem
}

func (e *statusError) Error() string {
	return http.StatusText(e.status) + ": " + e.problem.Describe("en")
}

// writeError writes err as the Open311 error list in the request's format. The client reads
// the problems of a *georeport.Error in its language. For server faults and for errors
// without problems it reads a generic description, and the log gets the error itself.
func (s *Server) writeError(x *exchange, err error) {
	var se *statusError
	if errors.As(err, &se) {
		s.writeProblems(x, se.status, []georeport.Problem{se.problem}, err)
		return
	}
	// A client that closes its connection cancels the request's context, and a store call
	// then fails with the cancellation. No one reads a response, and the server is not at
	// fault, so the access log records nginx's 499 at info level, with no error report.
	if errors.Is(err, context.Canceled) && errors.Is(x.r.Context().Err(), context.Canceled) {
		x.w.status = statusClientClosed
		x.w.err = err
		return
	}
	kind := georeport.KindOf(err)
	status := statusOf(kind)
	var problems []georeport.Problem
	// Problems are written for clients. They are shown for client errors and for an
	// unavailable store, which may say what it cannot do; other faults get a generic text.
	var e *georeport.Error
	if errors.As(err, &e) && (status < 500 || kind == georeport.Unavailable) {
		problems = e.Problems
	}
	if len(problems) == 0 {
		problems = []georeport.Problem{genericProblem(kind)}
	}
	if kind == georeport.Unavailable {
		// A store is unavailable for seconds at a time: locked by a long write, such as an
		// open311 cluster run, or between MongoDB primaries.
		x.w.Header().Set("Retry-After", unavailableRetrySeconds)
	}
	if status >= 500 {
		s.log.LogAttrs(x.r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", x.requestID), slog.String("route", routePattern(x)), slog.Any("err", err))
		if !x.reported {
			x.report.SetTag("route", routePattern(x))
			x.report.CaptureError(err)
			x.reported = true
		}
	}
	s.writeProblems(x, status, problems, err)
}

// unavailableRetrySeconds is the Retry-After of a response for an unavailable store.
const unavailableRetrySeconds = "5"

func genericProblem(kind georeport.Kind) georeport.Problem {
	switch kind {
	case georeport.Unavailable:
		return georeport.Problem{Kind: kind, Message: locale.MsgUnavailable}
	case georeport.NotFound:
		return georeport.Problem{Kind: kind, Message: locale.MsgPathNotFound, Args: []any{"resource"}}
	}
	return georeport.Problem{Kind: kind, Message: locale.MsgInternal}
}

// joinProblems merges the client problems of several errors into one error, whose status is
// decided by the kinds' precedence. An error without client problems, such as a store
// failure, is returned as it is.
func joinProblems(errs ...error) error {
	var ps georeport.Problems
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *georeport.Error
		if !errors.As(err, &e) || len(e.Problems) == 0 {
			return err
		}
		ps = append(ps, e.Problems...)
	}
	return ps.Err()
}

// writeProblems writes the error list with the status. Errors are written as JSON for GeoJSON
// requests and for paths without a known format.
func (s *Server) writeProblems(x *exchange, status int, problems []georeport.Problem, err error) {
	x.w.err = err
	lang := x.lang
	if !locale.Translated(lang) {
		lang = "en"
	}
	format := x.format
	if format == GeoJSON {
		format = JSON
	}
	var b []byte
	if format == XML {
		b = append(b, xmlHeader...)
		b = append(b, "<errors>"...)
		for _, p := range problems {
			b = append(b, "<error><code>"...)
			b = strconv.AppendInt(b, int64(status), 10)
			b = append(b, "</code><description>"...)
			b = appendXMLText(b, p.Describe(lang))
			b = append(b, "</description></error>"...)
		}
		b = append(b, "</errors>\n"...)
	} else {
		b = append(b, '[')
		for i, p := range problems {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":`...)
			b = strconv.AppendInt(b, int64(status), 10)
			b = append(b, `,"description":`...)
			b = appendJSONString(b, p.Describe(lang))
			b = append(b, '}')
		}
		b = append(b, "]\n"...)
	}
	h := x.w.Header()
	h.Del("ETag")
	h.Del("Content-Encoding")
	h.Set("Content-Type", format.ContentType())
	h.Set("Content-Language", lang)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	x.w.WriteHeader(status)
	x.w.Write(b)
}
