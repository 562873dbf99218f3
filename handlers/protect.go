package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// corsExposed are the response headers that a web page may read from another origin.
const corsExposed = "Content-Language, ETag, Link, Retry-After, X-Page-Count, X-Page-Size, X-Request-ID, X-Result-Count"

// corsAllowedHeaders are the request headers that a web page may send from another origin.
const corsAllowedHeaders = "Accept-Language, Authorization, Content-Type, If-None-Match, X-API-Key, X-Request-ID"

// setSecurityHeaders sets the headers that keep browsers from misreading the API's
// responses: no content sniffing, no framing, no referrer, and HTTPS only once a client has
// used it.
func (s *Server) setSecurityHeaders(h http.Header, r *http.Request) {
	// The keys are canonical and the values shared and never changed, so they are assigned
	// directly, which saves an allocation for each.
	h["X-Content-Type-Options"] = nosniff
	h["X-Frame-Options"] = frameDeny
	h["Referrer-Policy"] = noReferrer
	h["Content-Security-Policy"] = noContentPolicy
	// Other sites may load the API's responses and photos, as open data.
	h["Cross-Origin-Resource-Policy"] = crossOrigin
	if (r.TLS != nil || len(s.cfg.TrustedProxies) > 0) && s.isHTTPS(r) {
		h["Strict-Transport-Security"] = strictTransport
	}
}

var (
	nosniff         = []string{"nosniff"}
	frameDeny       = []string{"DENY"}
	noReferrer      = []string{"no-referrer"}
	noContentPolicy = []string{"default-src 'none'; frame-ancestors 'none'"}
	crossOrigin     = []string{"cross-origin"}
	strictTransport = []string{"max-age=31536000"}
)

// isHTTPS reports whether the client used HTTPS, directly or through a trusted proxy.
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.trusted(remoteAddr(r)) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setCORSHeaders adds the CORS headers for a request from a web page of another origin:
// every origin may read with GET, and only CORSOrigins may POST. The routes' handlers
// respond to OPTIONS, preflight requests included, because the methods depend on the path.
func (s *Server) setCORSHeaders(h http.Header, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || r.Method == http.MethodOptions {
		return
	}
	h.Add("Vary", "Origin")
	if s.corsAllows(origin, r.Method) {
		h.Set("Access-Control-Allow-Origin", s.corsOrigin(origin, r.Method))
		h.Set("Access-Control-Expose-Headers", corsExposed)
	}
}

// writeOptions responds to an OPTIONS request with 204 and allow as the Allow header. allowed
// are the methods that the path takes in its format. A preflight request of one of them from
// an origin that may send it also gets the CORS headers that let the web page send it.
func (s *Server) writeOptions(x *exchange, allowed []string, allow string) {
	h := x.w.Header()
	h.Set("Allow", allow)
	origin := x.r.Header.Get("Origin")
	method := x.r.Header.Get("Access-Control-Request-Method")
	if origin != "" && method != "" {
		h.Add("Vary", "Origin")
		if slices.Contains(allowed, method) && s.corsAllows(origin, method) {
			var methods []string
			for _, m := range allowed {
				if s.corsAllows(origin, m) {
					methods = append(methods, m)
				}
			}
			h.Set("Access-Control-Allow-Origin", s.corsOrigin(origin, method))
			h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
			h.Set("Access-Control-Allow-Headers", corsAllowedHeaders)
			h.Set("Access-Control-Max-Age", "600")
		}
	}
	x.w.WriteHeader(http.StatusNoContent)
}

// originAllowed reports whether a POST may come from the Origin of r: none (curl, servers),
// the server's own host or that of BaseURL, or one of CORSOrigins. Browsers send a form POST
// to another origin without a preflight, so only this check keeps other pages from filing.
func (s *Server) originAllowed(r *http.Request) (origin string, ok bool) {
	origin = r.Header.Get("Origin")
	if origin == "" || s.corsAllows(origin, http.MethodPost) {
		return origin, true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return origin, true
	}
	// Behind a reverse proxy, r.Host may be the server's own address, and the public one
	// is that of BaseURL.
	// NOTE: behind a proxy that rewrites Host and without -base-url, the server's own pages
	// get 403 for their POSTs unless -cors-origins lists their origin.
	if base, err := url.Parse(s.cfg.BaseURL); err == nil && base.Host != "" &&
		strings.EqualFold(origin, base.Scheme+"://"+base.Host) {
		return origin, true
	}
	return origin, false
}

// corsAllows reports whether a page of the origin may send the method.
func (s *Server) corsAllows(origin, method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		return slices.Contains(s.cfg.CORSOrigins, "*") || slices.Contains(s.cfg.CORSOrigins, origin)
	}
	return false
}

// corsOrigin returns the Access-Control-Allow-Origin value: * for reads, and the origin
// itself for a POST, so that the response names whom it allows.
func (s *Server) corsOrigin(origin, method string) string {
	if method == http.MethodPost {
		return origin
	}
	return "*"
}
