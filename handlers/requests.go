package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// jurisdiction returns the jurisdiction a request is about, from jurisdiction_id. With one
// jurisdiction in the catalog the parameter may be absent or name it; with several it is
// required.
func (s *Server) jurisdiction(value string) (string, error) {
	c := s.catalog
	if value == "" {
		if len(c.Jurisdictions) == 1 {
			return c.Jurisdictions[0].ID, nil
		}
		return "", georeport.E(georeport.Invalid, locale.MsgJurisdictionRequired, c.JurisdictionIDs())
	}
	if c.JurisdictionByID(value) == nil {
		return "", georeport.E(georeport.NotFound, locale.MsgJurisdictionNotFound, value, c.JurisdictionIDs())
	}
	return value, nil
}

// storeJurisdiction returns the jurisdiction a store query filters by: none when the catalog
// has one jurisdiction, so that requests imported without one belong to it.
func (s *Server) storeJurisdiction(id string) string {
	if len(s.catalog.Jurisdictions) == 1 {
		return ""
	}
	return id
}

func (s *Server) encoder(x *exchange, extensions bool) *requestEncoder {
	return &requestEncoder{catalog: s.catalog, lang: x.lang, loc: s.cfg.Location, extensions: extensions}
}

// listEncoder returns the encoder of a list, which keeps its items in the server's cache.
func (s *Server) listEncoder(x *exchange, extensions bool) *requestEncoder {
	e := s.encoder(x, extensions)
	e.items = s.items
	return e
}

// listRequests serves GET requests: the requests that match the query, one page at a time.
func (s *Server) listRequests(x *exchange) error {
	values := x.query
	jurisdiction, jurisdictionErr := s.jurisdiction(firstValue(values, "jurisdiction_id"))
	x.report.SetTag("jurisdiction", jurisdiction)
	x.report.SetTag("service_code", firstValue(values, "service_code"))
	// Stored datetimes have whole seconds, so now does too, and a page link can repeat it.
	now := s.cfg.Now().Truncate(time.Second)
	params, err := parseListParams(values, queryRules{now: now, loc: s.cfg.Location, maxSpan: s.cfg.MaxSpan})
	if err := joinProblems(jurisdictionErr, err); err != nil {
		return err
	}
	params.query.Jurisdiction = s.storeJurisdiction(jurisdiction)
	// A window that ends now ends later for the next page, where newer requests would push
	// requests of this page onto it, so the page links fix its end. A circle without dates
	// is listed nearest first, and an end_date in its links would turn the next pages to
	// newest first, so its links carry none.
	if firstValue(values, "end_date") == "" && params.query.RequestedTo.Equal(now) &&
		params.query.Order != georeport.NearestFirst {
		params.fixedEnd = georeport.FormatDateTime(now, s.cfg.Location)
	}

	if parts, ok := s.store.(georeport.PartStore); ok && params.query.Limit > listPartSize {
		return s.streamRequests(x, parts, params)
	}
	page, err := s.store.FindRequests(x.r.Context(), &params.query)
	if err != nil {
		return err
	}
	s.setPageHeaders(x, params, page.Total)
	return s.writeRequests(x, s.listEncoder(x, params.extensions), page.Requests, page.Distances)
}

// listPartSize is how many requests a long list reads and encodes at a time, and
// listFlushBytes how much encoded text it gathers before writing.
const (
	listPartSize   = 100
	listFlushBytes = 64 << 10
)

// streamRequests serves a long page in parts: it writes each part's requests as they are
// read, so that the memory a request takes does not grow with its page. The response has no
// Content-Length. A store failure after the first part has been sent can no longer become an
// error response, so the connection is cut and the client sees a broken response, never a
// short list that looks complete.
func (s *Server) streamRequests(x *exchange, parts georeport.PartStore, params *listParams) error {
	e := s.listEncoder(x, params.extensions)
	buf := getBuffer()
	defer putBuffer(buf)
	b := (*buf)[:0]

	n, started := 0, false
	err := parts.FindRequestsInParts(x.r.Context(), &params.query, listPartSize, func(page *georeport.Page) error {
		if !started {
			// The first part brings the count, which the headers need.
			started = true
			s.setPageHeaders(x, params, page.Total)
			x.setBodyHeaders(true)
			x.w.WriteHeader(http.StatusOK)
			b = appendListHead(b, x.format)
		}

		for i := range page.Requests {
			b = e.appendListItem(b, x.format, n, page.Requests[i], distanceAt(page.Distances, i))
			n++
		}
		if len(b) >= listFlushBytes {
			if _, err := x.w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
		return nil
	})
	*buf = b

	if err != nil {
		if !started {
			return err
		}
		x.w.err = err
		if clientLeft(x.r, err) {
			x.w.status = statusClientClosed
			s.log.Info("list response cut short: the client left", "request_id", x.requestID, "err", err)
		} else {
			s.log.Warn("list response cut short", "request_id", x.requestID, "err", err)
		}
		panic(http.ErrAbortHandler)
	}

	b = appendListTail(b, x.format)
	*buf = b
	x.w.Write(b)
	return nil
}

// clientLeft reports whether err comes from a client that closed its connection: the
// request's context was canceled, or writing to the connection failed.
func clientLeft(r *http.Request, err error) bool {
	return errors.Is(r.Context().Err(), context.Canceled) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET)
}

// setPageHeaders sets the count and paging headers of a list response.
func (s *Server) setPageHeaders(x *exchange, params *listParams, total int) {
	h := x.w.Header()
	pageCount := (total + params.pageSize - 1) / params.pageSize
	h.Set("X-Result-Count", strconv.Itoa(total))
	h.Set("X-Page-Count", strconv.Itoa(pageCount))
	h.Set("X-Page-Size", strconv.Itoa(params.pageSize))
	if link := s.pageLinks(x, params, pageCount); link != "" {
		h.Set("Link", link)
	}
}

// pageLinks returns the Link header with the next and previous pages, if there are any, and
// the last page for a page past it, so that a client that overshot can go back.
func (s *Server) pageLinks(x *exchange, params *listParams, pageCount int) string {
	page := params.page
	link := func(n int, rel string) string {
		values := url.Values{}
		for name, v := range x.query {
			values[name] = v
		}
		values.Set("page", strconv.Itoa(n))
		if params.fixedEnd != "" {
			values.Set("end_date", params.fixedEnd)
		}
		u := s.cfg.BaseURL + s.cfg.Root + "/requests." + x.format.String() + "?" + values.Encode()
		return "<" + u + `>; rel="` + rel + `"`
	}
	var links []string
	if page < pageCount {
		links = append(links, link(page+1, "next"))
	}
	if page > 1 && page-1 <= pageCount {
		links = append(links, link(page-1, "prev"))
	}
	if page > pageCount+1 && pageCount > 0 {
		links = append(links, link(pageCount, "last"))
	}
	return strings.Join(links, ", ")
}

func (s *Server) writeRequests(x *exchange, e *requestEncoder, rs []*georeport.Request, distances []float64) error {
	buf := getBuffer()
	defer putBuffer(buf)
	*buf = e.appendList((*buf)[:0], x.format, rs, distances)
	x.writeBody(http.StatusOK, *buf, true)
	return nil
}

// buffers holds encoding buffers for reuse, so that each response does not grow a new one.
var buffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 16<<10)
	return &b
}}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

// putBuffer returns a buffer for reuse unless it grew past 1 MiB, which a rare long response
// should not keep.
func putBuffer(b *[]byte) {
	if cap(*b) <= 1<<20 {
		buffers.Put(b)
	}
}

// getRequest serves GET requests/{id}: a list of one request. A request that moderation hides
// shows only its public fields.
func (s *Server) getRequest(x *exchange) error {
	values := x.query
	jurisdiction, err := s.jurisdiction(firstValue(values, "jurisdiction_id"))
	if err != nil {
		return err
	}
	var ps georeport.Problems
	extensions := parseExtensions(&ps, firstValue(values, "extensions"))
	if err := ps.Err(); err != nil {
		return err
	}

	x.report.SetTag("jurisdiction", jurisdiction)
	id := x.r.PathValue("service_request_id")
	r, err := s.store.Request(x.r.Context(), id)
	if err == nil {
		x.report.SetTag("service_code", r.ServiceCode)
	}
	if georeport.KindOf(err) == georeport.NotFound ||
		(err == nil && s.storeJurisdiction(jurisdiction) != "" && r.Jurisdiction != jurisdiction) {
		if err != nil {
			if err := s.itemFormatError(x, x.route.path, x.route.formats); err != nil {
				return err
			}
		}
		return georeport.E(georeport.NotFound, locale.MsgRequestNotFound, id)
	}
	if err != nil {
		return err
	}
	return s.writeRequests(x, s.encoder(x, extensions), []*georeport.Request{r.PublicView()}, nil)
}

// requestIDForToken serves GET tokens/{token}: the id of the request filed under a batch token.
func (s *Server) requestIDForToken(x *exchange) error {
	if _, err := s.jurisdiction(firstValue(x.query, "jurisdiction_id")); err != nil {
		return err
	}
	token := x.r.PathValue("token")
	id, err := s.store.RequestIDByToken(x.r.Context(), token)
	if georeport.KindOf(err) == georeport.NotFound {
		if err := s.itemFormatError(x, x.route.path, x.route.formats); err != nil {
			return err
		}
		return georeport.E(georeport.NotFound, locale.MsgTokenNotFound, token)
	}
	if err != nil {
		return err
	}

	var b []byte
	if x.format == XML {
		b = append(b, xmlHeader...)
		b = append(b, "<service_requests><request>"...)
		b = appendXMLElement(b, "service_request_id", id)
		b = appendXMLElement(b, "token", token)
		b = append(b, "</request></service_requests>\n"...)
	} else {
		b = append(b, `[{"service_request_id":`...)
		b = appendJSONString(b, id)
		b = append(b, `,"token":`...)
		b = appendJSONString(b, token)
		b = append(b, "}]\n"...)
	}
	x.writeBody(http.StatusOK, b, false)
	return nil
}

// writeBody writes a complete response body in the exchange's format.
func (x *exchange) writeBody(status int, b []byte, localized bool) {
	x.setBodyHeaders(localized)
	x.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	x.w.WriteHeader(status)
	x.w.Write(b)
}

// setBodyHeaders sets the type of a body in x's format, and its language when localized.
func (x *exchange) setBodyHeaders(localized bool) {
	h := x.w.Header()
	h.Set("Content-Type", x.format.ContentType())
	if localized {
		h.Set("Content-Language", x.lang)
		h.Add("Vary", "Accept-Language")
	}
}

// unknownSuffix splits a path value such as 176.csv whose suffix is no format of this server,
// so that a resource asked for in an unknown format gets that error rather than not found.
// It splits nothing when the path ended in a known format suffix.
func (x *exchange) unknownSuffix(value string) (base, suffix string, ok bool) {
	if x.suffixed {
		// services/176.csv.json requests JSON, so its code is 176.csv.
		return "", "", false
	}
	dot := strings.LastIndexByte(value, '.')
	if dot <= 0 || dot == len(value)-1 {
		return "", "", false
	}
	if _, known := parseFormat(value[dot+1:]); known {
		return "", "", false
	}
	return value[:dot], value[dot+1:], true
}
