package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// route is one row of the registry: a method and a path under the API root, the formats the
// path serves, and the handler. Handlers return errors; Server.writeError turns them into the
// Open311 error list.
type route struct {
	method  string
	path    string
	formats []Format
	handle  func(*Server, *exchange) error
}

var (
	jsonXML        = []Format{JSON, XML}
	jsonXMLGeoJSON = []Format{JSON, XML, GeoJSON}
)

// registry returns every endpoint of the API. Adding an endpoint or a format is adding or
// changing a row here. Paths are Go 1.22 patterns without the format suffix, which
// ServeHTTP splits off before routing.
func registry(withMedia bool) []route {
	routes := []route{
		{http.MethodGet, "/discovery", jsonXML, (*Server).discovery},
		{http.MethodGet, "/services", jsonXML, (*Server).listServices},
		{http.MethodGet, "/services/{service_code}", jsonXML, (*Server).serviceDefinition},
		{http.MethodPost, "/requests", jsonXML, (*Server).createRequest},
		{http.MethodGet, "/requests", jsonXMLGeoJSON, (*Server).listRequests},
		{http.MethodGet, "/requests/{service_request_id}", jsonXMLGeoJSON, (*Server).getRequest},
		{http.MethodGet, "/tokens/{token}", jsonXML, (*Server).requestIDForToken},
	}
	if withMedia {
		routes = append(routes, route{http.MethodGet, "/media/{name}", nil, (*Server).serveMedia})
	}
	return routes
}

// buildMux registers every route under the root, a handler per path for the methods and
// formats that its routes reject, the health checks, and a 404 for everything else. It
// panics when two rows have the same method and path.
func (s *Server) buildMux() *http.ServeMux {
	mux := http.NewServeMux()
	byPath := map[string][]*route{}
	seen := map[string]bool{}
	for i := range s.routes {
		rt := &s.routes[i]
		key := rt.method + " " + rt.path
		if seen[key] {
			panic(fmt.Sprintf("handlers: route %s is registered twice", key))
		}
		seen[key] = true
		byPath[rt.path] = append(byPath[rt.path], rt)
	}
	for path, routes := range byPath {
		for _, rt := range routes {
			mux.Handle(rt.method+" "+s.cfg.Root+rt.path, s.routeHandler(rt, routes))
		}
		mux.Handle(s.cfg.Root+path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			x := exchangeOf(r)
			x.lang = s.language(r)
			s.rejectMethodOrFormat(x, routes)
		}))
	}

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	health := []*route{{method: http.MethodGet}}
	for _, path := range []string{"/healthz", "/readyz"} {
		mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			x := exchangeOf(r)
			x.lang = s.language(r)
			s.rejectMethodOrFormat(x, health)
		}))
	}
	mux.HandleFunc("/", s.notFound)
	return mux
}

// routeHandler adapts a registry row to http.Handler: it rejects formats the row does not
// serve, picks the response language and writes the handler's error. routes are all the rows
// of the row's path, which decide between 404 and 405 for such a format.
func (s *Server) routeHandler(rt *route, routes []*route) http.Handler {
	pattern := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		x.route, x.pattern = rt, pattern
		x.lang = s.language(r)
		if !rt.serves(x.format) {
			s.rejectMethodOrFormat(x, routes)
			return
		}
		limit := s.getByAddress
		if r.Method == http.MethodPost {
			limit = s.postByAddress
			if origin, ok := s.originAllowed(r); !ok {
				s.writeError(x, georeport.E(georeport.Forbidden, locale.MsgOriginNotAllowed, origin))
				return
			}
		}
		if limit != nil {
			if err := s.rateLimited(x, limit, s.clientAddress(r)); err != nil {
				s.writeError(x, err)
				return
			}
		}
		if !x.queryOK {
			s.writeError(x, georeport.E(georeport.Invalid, locale.MsgMalformedQuery))
			return
		}
		var queryProblems georeport.Problems
		checkQuery(&queryProblems, x.query)
		if err := queryProblems.Err(); err != nil {
			s.writeError(x, err)
			return
		}
		if err := rt.handle(s, x); err != nil {
			s.writeError(x, err)
		}
	})
}

// serves reports whether the route responds in format f. A route without formats, such as
// the media files, takes every path.
func (rt *route) serves(f Format) bool {
	return rt.formats == nil || supports(rt.formats, f)
}

// rejectMethodOrFormat responds to a request that no route of its path takes in its method
// and format. It writes 405 with an Allow header when other methods serve the format (204
// with that header for OPTIONS), and otherwise 404 with the formats that the path serves.
func (s *Server) rejectMethodOrFormat(x *exchange, routes []*route) {
	var allowed []string
	var formats []Format
	for _, rt := range routes {
		if rt.serves(x.format) {
			allowed = append(allowed, rt.method)
			if rt.method == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
		}
		for _, f := range rt.formats {
			if !supports(formats, f) {
				formats = append(formats, f)
			}
		}
	}

	if len(allowed) > 0 {
		// Only GET reads an item, so the other methods take its check of whether the suffix
		// of services/176.csv is a format or part of the code.
		if err := s.itemFormatError(x, routes[0].path, formats); err != nil {
			s.writeError(x, err)
			return
		}
	}
	if len(allowed) == 0 {
		s.writeError(x, georeport.E(georeport.NotFound, locale.MsgFormatNotFound,
			strings.TrimPrefix(x.r.URL.Path, s.cfg.Root+"/"), x.format.String(), formatList(formats)))
		return
	}

	sort.Strings(allowed)
	alternatives := locale.AnyOf(slices.Clone(allowed))
	allowed = append(allowed, http.MethodOptions)
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	if x.r.Method == http.MethodOptions {
		s.writeOptions(x, allowed, allow)
		return
	}
	x.w.Header().Set("Allow", allow)
	s.writeProblems(x, http.StatusMethodNotAllowed, []georeport.Problem{{
		Message: locale.MsgMethodNotAllowed,
		Args:    []any{x.r.Method, x.path, alternatives},
	}}, nil)
}

// item is a path of one item: the name of its wildcard, and a check of whether the item that
// a value names exists.
type item struct {
	wildcard string
	exists   func(s *Server, x *exchange, value string) bool
}

// items are the paths of one item. A value such as 176.csv may be an id with a dot or the
// id 176 in a format that the server does not have, and only a lookup can tell which.
//
// NOTE: when neither 999 nor 999.csv exists, services/999.csv counts as an id, so methods
// other than GET get 405 where GET gets 404 for a missing service_code.
var items = map[string]item{
	"/services/{service_code}": {"service_code", func(s *Server, x *exchange, code string) bool {
		jurisdiction, err := s.jurisdiction(firstValue(x.query, "jurisdiction_id"))
		return err == nil && s.services.entries[cacheKey{jurisdiction, code, x.lang, JSON}] != nil
	}},
	"/requests/{service_request_id}": {"service_request_id", func(s *Server, x *exchange, id string) bool {
		_, err := s.store.Request(x.r.Context(), id)
		return err == nil
	}},
	"/tokens/{token}": {"token", func(s *Server, x *exchange, token string) bool {
		_, err := s.store.RequestIDByToken(x.r.Context(), token)
		return err == nil
	}},
}

// itemFormatError returns the 404 of an unknown format for an item path whose value ends
// in a suffix that is no format, such as services/176.csv. It does so when no item has the
// value and one has the value without the suffix, and returns nil otherwise. formats are
// the formats that the path serves.
func (s *Server) itemFormatError(x *exchange, path string, formats []Format) error {
	it, ok := items[path]
	if !ok {
		return nil
	}
	value := x.r.PathValue(it.wildcard)
	base, suffix, ok := x.unknownSuffix(value)
	if !ok || it.exists(s, x, value) || !it.exists(s, x, base) {
		return nil
	}
	resource := strings.TrimPrefix(path[:strings.LastIndexByte(path, '/')+1], "/") + base
	return georeport.E(georeport.NotFound, locale.MsgFormatNotFound, resource, suffix, formatList(formats))
}

func supports(formats []Format, f Format) bool {
	for _, g := range formats {
		if g == f {
			return true
		}
	}
	return false
}

// language returns the response language from the locale parameter and Accept-Language.
func (s *Server) language(r *http.Request) string {
	return s.catalog.Languages().Negotiate(firstValue(exchangeOf(r).query, "locale"), r.Header.Get("Accept-Language"))
}

// notFound responds to paths that no route matches. When the last segment is a resource name with an
// unknown suffix, such as services.csv, the description names the formats of the resource.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	x := exchangeOf(r)
	x.lang = s.language(r)
	path := r.URL.Path
	if dot := strings.LastIndexByte(path, '.'); dot > strings.LastIndexByte(path, '/') && dot < len(path)-1 {
		// A known format suffix was split off already, so one that is left, as in
		// requests.json.json, belongs to a path that does not exist.
		_, known := parseFormat(path[dot+1:])
		if rt := s.resourceRoute(path[:dot]); rt != nil && !known {
			s.writeError(x, georeport.E(georeport.NotFound, locale.MsgFormatNotFound,
				strings.TrimPrefix(rt.path, "/"), path[dot+1:], formatList(rt.formats)))
			return
		}
	}
	s.writeError(x, georeport.E(georeport.NotFound, locale.MsgPathNotFound, x.path))
}

// resourceRoute returns the route whose fixed path, with no wildcard at the end, is path,
// preferring the GET route, which serves the most formats.
func (s *Server) resourceRoute(path string) *route {
	var found *route
	for i := range s.routes {
		rt := &s.routes[i]
		if s.cfg.Root+rt.path == path && !strings.HasSuffix(rt.path, "}") && (found == nil || rt.method == http.MethodGet) {
			found = rt
		}
	}
	return found
}
