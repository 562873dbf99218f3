package handlers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// encoded is a response body prepared once, plain and gzip-compressed, with a strong ETag
// for each.
type encoded struct {
	body     []byte
	etag     string
	gzipped  []byte
	gzipETag string
	// headers holds the response headers of the plain and of the gzip body, prepared as
	// well, so that a response allocates none.
	headers, gzipHeaders http.Header
}

type cacheKey struct {
	jurisdiction, code, lang string
	format                   Format
}

// serviceCache holds the service lists and definitions of every jurisdiction, language and
// format, encoded when the server starts. The catalog does not change while a server runs.
type serviceCache struct {
	entries map[cacheKey]*encoded
}

func newServiceCache(s *Server) (*serviceCache, error) {
	c := &serviceCache{entries: map[cacheKey]*encoded{}}
	for _, j := range s.catalog.Jurisdictions {
		services := s.catalog.ServicesOf(j.ID)
		for _, lang := range s.catalog.Languages().Languages() {
			sorted := sortServices(services, lang, s.catalog.DefaultLocale)
			for _, f := range jsonXML {
				c.put(cacheKey{j.ID, "", lang, f}, appendServiceList(nil, f, sorted, lang, s.catalog.DefaultLocale))
				for _, svc := range services {
					c.put(cacheKey{j.ID, svc.Code, lang, f}, appendDefinition(nil, f, svc, lang, s.catalog.DefaultLocale))
				}
			}
		}
	}
	return c, nil
}

func (c *serviceCache) put(key cacheKey, body []byte) {
	sum := sha256.New()
	sum.Write([]byte(key.lang + "\x00" + key.format.String() + "\x00"))
	sum.Write(body)
	tag := hex.EncodeToString(sum.Sum(nil)[:12])
	var compressed bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&compressed, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	e := &encoded{body: body, etag: `"` + tag + `"`, gzipped: compressed.Bytes(), gzipETag: `"` + tag + `-gzip"`}
	common := http.Header{
		"Content-Language": {key.lang},
		"Vary":             {"Accept-Language, Accept-Encoding"},
		"Cache-Control":    {"public, max-age=300"},
		"Content-Type":     {key.format.ContentType()},
	}
	e.headers, e.gzipHeaders = common.Clone(), common.Clone()
	e.headers["Etag"] = []string{e.etag}
	e.headers["Content-Length"] = []string{strconv.Itoa(len(e.body))}
	e.gzipHeaders["Etag"] = []string{e.gzipETag}
	e.gzipHeaders["Content-Length"] = []string{strconv.Itoa(len(e.gzipped))}
	e.gzipHeaders["Content-Encoding"] = []string{"gzip"}
	c.entries[key] = e
}

// sortServices orders services by group, then name, in the language's collation, then by
// code.
func sortServices(services []*georeport.Service, lang, def string) []*georeport.Service {
	sorted := slices.Clone(services)
	collator := locale.NewCollator(lang)
	slices.SortStableFunc(sorted, func(a, b *georeport.Service) int {
		if c := collator.Compare(a.Group.In(lang, def), b.Group.In(lang, def)); c != 0 {
			return c
		}
		if c := collator.Compare(a.Name.In(lang, def), b.Name.In(lang, def)); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return sorted
}

func appendServiceList(b []byte, f Format, services []*georeport.Service, lang, def string) []byte {
	if f == XML {
		b = append(b, xmlHeader...)
		b = append(b, "<services>"...)
		for _, svc := range services {
			b = append(b, "<service>"...)
			b = appendXMLElement(b, "service_code", svc.Code)
			b = appendXMLElement(b, "service_name", svc.Name.In(lang, def))
			b = appendXMLElement(b, "description", svc.Description.In(lang, def))
			b = appendXMLElement(b, "metadata", strconv.FormatBool(svc.Metadata()))
			b = appendXMLElement(b, "type", svc.Type)
			b = appendXMLElement(b, "keywords", svc.Keywords.In(lang, def))
			b = appendXMLElement(b, "group", svc.Group.In(lang, def))
			b = append(b, "</service>"...)
		}
		return append(b, "</services>\n"...)
	}
	b = append(b, '[')
	for i, svc := range services {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"service_code":`...)
		b = appendJSONString(b, svc.Code)
		b = append(b, `,"service_name":`...)
		b = appendJSONStringOrNull(b, svc.Name.In(lang, def))
		b = append(b, `,"description":`...)
		b = appendJSONStringOrNull(b, svc.Description.In(lang, def))
		b = append(b, `,"metadata":`...)
		b = appendBool(b, svc.Metadata())
		b = append(b, `,"type":`...)
		b = appendJSONString(b, svc.Type)
		b = append(b, `,"keywords":`...)
		b = appendJSONStringOrNull(b, svc.Keywords.In(lang, def))
		b = append(b, `,"group":`...)
		b = appendJSONStringOrNull(b, svc.Group.In(lang, def))
		b = append(b, '}')
	}
	return append(b, "]\n"...)
}

func appendDefinition(b []byte, f Format, svc *georeport.Service, lang, def string) []byte {
	if f == XML {
		b = append(b, xmlHeader...)
		b = append(b, "<service_definition>"...)
		b = appendXMLElement(b, "service_code", svc.Code)
		b = append(b, "<attributes>"...)
		for i := range svc.Attributes {
			a := &svc.Attributes[i]
			b = append(b, "<attribute>"...)
			b = appendXMLElement(b, "variable", strconv.FormatBool(a.Variable))
			b = appendXMLElement(b, "code", a.Code)
			b = appendXMLElement(b, "datatype", a.Datatype)
			b = appendXMLElement(b, "required", strconv.FormatBool(a.Required))
			b = appendXMLElement(b, "datatype_description", a.DatatypeDescription.In(lang, def))
			b = appendXMLElement(b, "order", strconv.Itoa(a.Order))
			b = appendXMLElement(b, "description", a.Description.In(lang, def))
			b = append(b, "<values>"...)
			for _, v := range a.Values {
				b = append(b, "<value>"...)
				b = appendXMLElement(b, "key", v.Key)
				b = appendXMLElement(b, "name", v.Name.In(lang, def))
				b = append(b, "</value>"...)
			}
			b = append(b, "</values></attribute>"...)
		}
		return append(b, "</attributes></service_definition>\n"...)
	}
	b = append(b, `{"service_code":`...)
	b = appendJSONString(b, svc.Code)
	b = append(b, `,"attributes":[`...)
	for i := range svc.Attributes {
		a := &svc.Attributes[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"variable":`...)
		b = appendBool(b, a.Variable)
		b = append(b, `,"code":`...)
		b = appendJSONString(b, a.Code)
		b = append(b, `,"datatype":`...)
		b = appendJSONString(b, a.Datatype)
		b = append(b, `,"required":`...)
		b = appendBool(b, a.Required)
		b = append(b, `,"datatype_description":`...)
		b = appendJSONStringOrNull(b, a.DatatypeDescription.In(lang, def))
		b = append(b, `,"order":`...)
		b = strconv.AppendInt(b, int64(a.Order), 10)
		b = append(b, `,"description":`...)
		b = appendJSONStringOrNull(b, a.Description.In(lang, def))
		b = append(b, `,"values":[`...)
		for k, v := range a.Values {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":`...)
			b = appendJSONString(b, v.Key)
			b = append(b, `,"name":`...)
			b = appendJSONStringOrNull(b, v.Name.In(lang, def))
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}\n"...)
}

// listServices serves GET services.
func (s *Server) listServices(x *exchange) error {
	jurisdiction, err := s.jurisdiction(firstValue(x.query, "jurisdiction_id"))
	if err != nil {
		return err
	}
	s.writeCached(x, s.services.entries[cacheKey{jurisdiction, "", x.lang, x.format}])
	return nil
}

// serviceDefinition serves GET services/{service_code}.
func (s *Server) serviceDefinition(x *exchange) error {
	jurisdiction, err := s.jurisdiction(firstValue(x.query, "jurisdiction_id"))
	if err != nil {
		return err
	}
	code := x.r.PathValue("service_code")
	x.report.SetTag("jurisdiction", jurisdiction)
	x.report.SetTag("service_code", code)
	entry := s.services.entries[cacheKey{jurisdiction, code, x.lang, x.format}]
	if code == "" || entry == nil {
		if err := s.itemFormatError(x, x.route.path, x.route.formats); err != nil {
			return err
		}
		return georeport.E(georeport.NotFound, locale.MsgServiceNotFound, code)
	}
	s.writeCached(x, entry)
	return nil
}

// writeCached writes a prepared body with its ETag, gzip-compressed when the client accepts
// it, or 304 when If-None-Match has the ETag.
func (s *Server) writeCached(x *exchange, e *encoded) {
	body, etag, prepared := e.body, e.etag, e.headers
	if acceptsGzip(x.r.Header.Get("Accept-Encoding")) {
		body, etag, prepared = e.gzipped, e.gzipETag, e.gzipHeaders
	}
	h := x.w.Header()
	if etagMatches(x.r.Header.Get("If-None-Match"), etag) {
		for _, name := range []string{"Etag", "Content-Language", "Vary", "Cache-Control"} {
			h[name] = prepared[name]
		}
		x.w.WriteHeader(http.StatusNotModified)
		return
	}
	// The prepared values are shared and never changed, so they are assigned directly.
	for name, values := range prepared {
		h[name] = values
	}
	x.w.WriteHeader(http.StatusOK)
	if x.r.Method != http.MethodHead {
		x.w.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip, by name or by *, with
// a q-value above 0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000")
	}
	return false
}

// etagMatches reports whether an If-None-Match header lists the ETag, by the weak comparison
// that RFC 9110 prescribes for If-None-Match, or is "*".
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == etag {
			return true
		}
	}
	return false
}
