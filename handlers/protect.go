package handlers

import (
	"net/http"
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

// handleCORS adds the CORS headers for a request from a web page of another origin, and
// responds to a preflight request. It reports whether it wrote the response. Every origin may
// read with GET; only CORSOrigins may POST.
func (s *Server) handleCORS(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	h := w.Header()
	if r.Method == http.MethodOptions {
		method := r.Header.Get("Access-Control-Request-Method")
		if origin != "" && method != "" {
			h.Add("Vary", "Origin")
			if s.corsAllows(origin, method) {
				h.Set("Access-Control-Allow-Origin", s.corsOrigin(origin, method))
				h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
				h.Set("Access-Control-Allow-Headers", corsAllowedHeaders)
				h.Set("Access-Control-Max-Age", "600")
			}
		}
		h.Set("Allow", "GET, HEAD, POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	if origin == "" {
		return false
	}
	h.Add("Vary", "Origin")
	if s.corsAllows(origin, r.Method) {
		h.Set("Access-Control-Allow-Origin", s.corsOrigin(origin, r.Method))
		h.Set("Access-Control-Expose-Headers", corsExposed)
	}
	return false
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
