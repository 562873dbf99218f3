// Package handlers serves the Open311 GeoReport v2 API over HTTP: the routes of the registry
// table, the JSON, XML and GeoJSON encodings, parameter parsing, and the Open311 error list.
package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/media"
	"github.com/open311-to-go/open311/monitor"
)

// Config is the configuration of a Server. Store, Catalog and Logger are required, and the
// other fields have defaults.
type Config struct {
	Store   georeport.Store
	Catalog *georeport.Catalog
	Logger  *slog.Logger
	// Media stores uploaded files; nil rejects uploads with 415.
	Media media.Store
	// Monitor receives server faults and traces; nil reports nothing.
	Monitor *monitor.Monitor

	// Root is the path prefix of the API: "/open311/v2" when empty, and the host's root for
	// "/". NormalizeRoot says which values are valid.
	Root string
	// BaseURL is the scheme, host and port of the public address, such as
	// "https://feedback.example.org". Discovery and Link headers use it; without it they
	// hold paths relative to the host.
	BaseURL string
	// Location is the time zone of datetimes in responses and of datetimes without a zone in
	// requests; UTC by default.
	Location *time.Location
	// MaxSpan limits end_date minus start_date; 0 disables the limit. Callers that want the
	// default of 90 days set it.
	MaxSpan time.Duration
	// MaxBodyBytes limits a form body without files; 1 MiB by default.
	MaxBodyBytes int64
	// MaxUploadBytes limits one uploaded file; 10 MiB by default.
	MaxUploadBytes int64
	// MaxUploads limits the files of one request; 5 by default.
	MaxUploads int
	// TempDir is where uploads are spooled before they are cleaned and stored; the system's
	// temporary folder when empty.
	TempDir string
	// PostRate limits POSTs per API key and, separately, per client address. GetRate limits
	// other requests per client address. The zero Rate means no limit.
	PostRate Rate
	GetRate  Rate
	// TrustedProxies are the addresses of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed; other clients' headers are ignored.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the origins, such as https://app.example.org, whose web pages may POST;
	// "*" allows every origin. Every origin may GET.
	CORSOrigins []string

	// Now, NewID and NewToken default to the clock and to georeport.NewRequestID and
	// georeport.NewToken. Tests replace them to get stable output.
	Now      func() time.Time
	NewID    func() string
	NewToken func() string
}

// Server is the HTTP handler of the API.
type Server struct {
	cfg      Config
	store    georeport.Store
	catalog  *georeport.Catalog
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []route
	services *serviceCache
	started  time.Time
	// items keeps encoded list items for pages that are read again.
	items *itemCache

	postByKey     *limiter
	postByAddress *limiter
	getByAddress  *limiter

	// draining is set when the server stops taking new work, so that /readyz fails.
	draining atomic.Bool
}

// SetDraining marks the server as stopping: /readyz fails from then on, so that a load
// balancer sends no new requests while the ones in flight finish.
func (s *Server) SetDraining(draining bool) { s.draining.Store(draining) }

// New returns a Server for the configuration, with every route of the registry table
// registered. It returns an error when the configuration lacks a required part.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Logger == nil {
		return nil, errors.New("handlers: config needs a store, a catalog and a logger")
	}
	root, err := NormalizeRoot(cfg.Root)
	if err != nil {
		return nil, err
	}
	cfg.Root = root
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 10 << 20
	}
	if cfg.MaxUploads <= 0 {
		cfg.MaxUploads = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = georeport.NewRequestID
	}
	if cfg.NewToken == nil {
		cfg.NewToken = georeport.NewToken
	}

	s := &Server{
		cfg:     cfg,
		store:   cfg.Store,
		catalog: cfg.Catalog,
		log:     cfg.Logger,
		started: cfg.Now(),

		postByKey:     newLimiter(cfg.PostRate),
		postByAddress: newLimiter(cfg.PostRate),
		getByAddress:  newLimiter(cfg.GetRate),
		items:         newItemCache(defaultItemCacheBytes),
	}
	s.routes = registry(cfg.Media != nil)
	s.mux = s.buildMux()
	if s.services, err = newServiceCache(s); err != nil {
		return nil, err
	}
	return s, nil
}

// DefaultRoot is the path prefix of the API when the configuration names none.
const DefaultRoot = "/open311/v2"

// NormalizeRoot returns the path prefix of the API for a configured root: DefaultRoot for "",
// "" (the host's root) for "/", and otherwise the path with one leading slash and no trailing
// one. Each segment may contain letters, digits and the characters . _ ~ -, because routing
// patterns and links use the root unescaped.
func NormalizeRoot(root string) (string, error) {
	if root == "" {
		return DefaultRoot, nil
	}
	trimmed := strings.Trim(root, "/")
	if trimmed == "" {
		return "", nil
	}
	for _, segment := range strings.Split(trimmed, "/") {
		valid := segment != "" && segment != "." && segment != ".."
		for _, c := range segment {
			valid = valid && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '.' || c == '_' || c == '~' || c == '-')
		}
		if !valid {
			return "", fmt.Errorf("root %q is not a path such as /open311/v2 or /: each segment may contain "+
				"letters, digits and . _ ~ -", root)
		}
	}
	return "/" + trimmed, nil
}

// exchange is one request being served: what the routing found out about it and where the
// response goes.
type exchange struct {
	w      *responseWriter
	r      *http.Request
	format Format
	// path is the request's path as sent, percent-encoded and with its format suffix, for
	// error descriptions.
	path string
	// suffixed is set when the path ended in a known format suffix, which ServeHTTP split
	// off. An unknown suffix stays in the path, and a handler may take it for a format.
	suffixed  bool
	lang      string // language of localized content
	requestID string
	route     *route
	pattern   string // the route's method and path, for logs and reports
	report    *monitor.Request
	// reported is set once a fault of the request went to the monitor.
	reported bool
	// query holds the query parameters; queryOK is false when a pair had an invalid escape.
	query   url.Values
	queryOK bool
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// ServeHTTP splits the format suffix off the path, routes the request, writes any error as an
// Open311 error list, recovers from panics and writes one access log record.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rw := &responseWriter{ResponseWriter: w, status: http.StatusOK}
	x := &exchange{w: rw, requestID: requestID(r)}
	rw.Header().Set("X-Request-ID", x.requestID)
	ctx, report := s.cfg.Monitor.StartRequest(r.Context(), r.Method)
	x.report = report
	report.SetTag("request_id", x.requestID)
	r = r.WithContext(context.WithValue(ctx, exchangeKey{}, x))
	x.r = r
	x.path = r.URL.EscapedPath()
	x.query, x.queryOK = parseQuery(r.URL.RawQuery)
	x.lang = s.catalog.Languages().Default()

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				// A response cut short still gets its access record and its transaction.
				s.logAccess(x, started)
				report.Finish(routePattern(x), rw.status)
				panic(v)
			}
			err := fmt.Errorf("panic: %v", v)
			s.log.Error("panic while serving", "request_id", x.requestID, "method", r.Method,
				"route", routePattern(x), "err", err)
			report.SetTag("route", routePattern(x))
			report.CapturePanic(v)
			x.reported = true
			if !rw.wroteHeader {
				s.writeError(x, georeport.Errorf(georeport.Internal, "%w", err))
			}
		}
		s.logAccess(x, started)
		report.Finish(routePattern(x), rw.status)
	}()

	s.setSecurityHeaders(rw.Header(), r)
	s.setCORSHeaders(rw.Header(), r)

	// ServeMux would redirect a path with // or dot segments to its clean form without the
	// format suffix, which is split off below, so the redirect happens here. 308 keeps the
	// method and body.
	if escaped := r.URL.EscapedPath(); r.Method != http.MethodConnect {
		if clean := cleanPath(escaped); clean != escaped {
			target := clean
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			rw.Header().Set("Location", target)
			rw.WriteHeader(http.StatusPermanentRedirect)
			return
		}
	}

	if escaped := r.URL.EscapedPath(); strings.HasPrefix(escaped, s.cfg.Root+"/") {
		stripped, f, ok := splitSuffix(escaped)
		x.format, x.suffixed = f, ok
		if stripped != escaped {
			unescaped, err := url.PathUnescape(stripped)
			if err == nil {
				u := *r.URL
				u.Path, u.RawPath = unescaped, stripped
				r.URL = &u
			}
		}
	}
	s.mux.ServeHTTP(rw, r)
}

// cleanPath returns p without empty and dot segments, keeping a final slash, as ServeMux
// cleans paths.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean
}

func routePattern(x *exchange) string {
	if x.pattern != "" {
		return x.pattern
	}
	return x.r.Pattern
}

func (s *Server) logAccess(x *exchange, started time.Time) {
	level := slog.LevelInfo
	if x.w.err != nil && x.w.status >= 500 {
		level = slog.LevelError
	}
	if !s.log.Enabled(x.r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", x.r.Method),
		slog.String("route", routePattern(x)),
		slog.Int("status", x.w.status),
		slog.Int64("bytes", x.w.bytes),
		slog.Float64("duration_ms", float64(time.Since(started).Microseconds())/1000),
		slog.String("request_id", x.requestID),
	}
	if x.w.err != nil {
		attrs = append(attrs, slog.String("err", x.w.err.Error()))
	}
	s.log.LogAttrs(x.r.Context(), level, "request", attrs...)
}

// requestID returns the client's X-Request-ID when it is a short token, else a new id: a
// random prefix drawn when the process starts and a counter, which is unique without
// drawing random bytes for each request. Request ids are for logs, not secrets.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); id != "" && len(id) <= 64 && isToken(id) {
		return id
	}
	var b [16]byte
	copy(b[:8], requestIDPrefix[:])
	n := requestCounter.Add(1)
	for i := 15; i >= 8; i-- {
		b[i] = hexDigits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

var (
	requestIDPrefix = func() [8]byte {
		var random [4]byte
		rand.Read(random[:])
		var prefix [8]byte
		hex.Encode(prefix[:], random[:])
		return prefix
	}()
	requestCounter atomic.Uint64
)

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// responseWriter records the status, the bytes written and the error behind an error
// response, for the access log.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	err         error
}

func (w *responseWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status = status
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
