package handlers

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
	"github.com/open311-to-go/open311/media"
)

const specificationURL = "http://wiki.open311.org/GeoReport_v2"

// Defaults of the discovery document's texts for catalogs that set none.
var (
	defaultContact    = georeport.Plain("Contact the organisation that runs this server.")
	defaultKeyService = georeport.Plain("Ask the organisation that runs this server for an API key.")
)

// discovery serves GET discovery: the endpoint, its formats and the catalog's languages.
func (s *Server) discovery(x *exchange) error {
	c := s.catalog
	lang, def := x.lang, c.DefaultLocale
	contact, keyService := c.Contact, c.KeyService
	if contact.IsZero() {
		contact = defaultContact
	}
	if keyService.IsZero() {
		keyService = defaultKeyService
	}
	changeset := c.Changeset
	if changeset == "" {
		changeset = georeport.FormatDateTime(s.started, s.cfg.Location)
	}
	endpointURL := s.cfg.BaseURL + s.cfg.Root
	formats := []string{"text/xml", "application/json", "application/geo+json"}
	var locales []string
	for _, l := range c.Languages().Languages() {
		locales = append(locales, locale.Region(l))
	}

	var b []byte
	if x.format == XML {
		b = append(b, xmlHeader...)
		b = append(b, "<discovery>"...)
		b = appendXMLElement(b, "changeset", changeset)
		b = appendXMLElement(b, "contact", contact.In(lang, def))
		b = appendXMLElement(b, "key_service", keyService.In(lang, def))
		b = append(b, "<endpoints><endpoint>"...)
		b = appendXMLElement(b, "specification", specificationURL)
		b = appendXMLElement(b, "url", endpointURL)
		b = appendXMLElement(b, "changeset", changeset)
		b = appendXMLElement(b, "type", c.EndpointType)
		b = append(b, "<formats>"...)
		for _, f := range formats {
			b = appendXMLElement(b, "format", f)
		}
		b = append(b, "</formats><locales>"...)
		for _, l := range locales {
			b = appendXMLElement(b, "locale", l)
		}
		b = append(b, "</locales></endpoint></endpoints></discovery>\n"...)
	} else {
		b = append(b, `{"changeset":`...)
		b = appendJSONString(b, changeset)
		b = append(b, `,"contact":`...)
		b = appendJSONString(b, contact.In(lang, def))
		b = append(b, `,"key_service":`...)
		b = appendJSONString(b, keyService.In(lang, def))
		b = append(b, `,"endpoints":[{"specification":`...)
		b = appendJSONString(b, specificationURL)
		b = append(b, `,"url":`...)
		b = appendJSONString(b, endpointURL)
		b = append(b, `,"changeset":`...)
		b = appendJSONString(b, changeset)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, c.EndpointType)
		b = append(b, `,"formats":`...)
		b = appendJSONStrings(b, formats)
		b = append(b, `,"locales":`...)
		b = appendJSONStrings(b, locales)
		b = append(b, "}]}\n"...)
	}
	x.writeBody(http.StatusOK, b, true)
	return nil
}

func appendJSONStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// healthz reports that the process serves HTTP.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeHealth(w, http.StatusOK, "ok")
}

// readyz reports whether the store is reachable, so that a load balancer sends traffic only
// to servers that can serve it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeHealth(w, http.StatusServiceUnavailable, "draining")
		return
	}
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Warn("store is not reachable", "err", err)
		writeHealth(w, http.StatusServiceUnavailable, "unavailable")
		return
	}
	writeHealth(w, http.StatusOK, "ready")
}

func writeHealth(w http.ResponseWriter, status int, state string) {
	body := []byte(`{"status":"` + state + `"}` + "\n")
	w.Header().Set("Content-Type", JSON.ContentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// serveMedia serves a file of the media store, for stores this server serves itself. Files
// never change, so clients may cache them for a year.
func (s *Server) serveMedia(x *exchange) error {
	opener, ok := s.cfg.Media.(media.Opener)
	name := x.r.PathValue("name")
	if !ok {
		return georeport.E(georeport.NotFound, locale.MsgPathNotFound, x.r.URL.Path)
	}
	f, err := opener.Open(x.r.Context(), name)
	if errors.Is(err, media.ErrNotFound) {
		return georeport.E(georeport.NotFound, locale.MsgMediaNotFound, name)
	}
	if err != nil {
		return georeport.Errorf(georeport.Internal, "open media file: %w", err)
	}
	defer f.Close()
	h := x.w.Header()
	h.Set("Content-Type", media.ContentTypeOf(name))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+name+`"`)
	http.ServeContent(x.w, x.r, name, f.ModTime, io.ReadSeeker(f))
	return nil
}
