package handlers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/monitor"
)

// sentryServer plays a Sentry ingest server on loopback and keeps every envelope it gets.
type sentryServer struct {
	*httptest.Server
	mu        sync.Mutex
	envelopes [][]byte
}

func newSentryServer(t *testing.T) *sentryServer {
	t.Helper()
	s := &sentryServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("envelope is not gzip: %v", err)
				return
			}
			body = zr
		}
		data, _ := io.ReadAll(body)
		if !strings.HasSuffix(r.URL.Path, "/envelope/") {
			t.Errorf("the SDK posted to %s, want the envelope endpoint", r.URL.Path)
		}
		s.mu.Lock()
		s.envelopes = append(s.envelopes, data)
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

// items returns the payloads of every envelope item of the type ("event" or "transaction").
func (s *sentryServer) items(t *testing.T, kind string) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, envelope := range s.envelopes {
		scanner := bufio.NewScanner(bytes.NewReader(envelope))
		scanner.Buffer(make([]byte, 1<<20), 16<<20)
		scanner.Scan() // envelope header
		for scanner.Scan() {
			var header struct {
				Type string `json:"type"`
			}
			json.Unmarshal(scanner.Bytes(), &header)
			if !scanner.Scan() {
				break
			}
			if header.Type == kind {
				var payload map[string]any
				if err := json.Unmarshal(scanner.Bytes(), &payload); err != nil {
					t.Fatalf("%s item is not JSON: %v", kind, err)
				}
				out = append(out, payload)
			}
		}
	}
	return out
}

func (s *sentryServer) raw() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(bytes.Join(s.envelopes, []byte("\n")))
}

// reportingServer returns a test server that reports to a local Sentry server, on a store
// that fails the way fail says.
func reportingServer(t *testing.T, sampleRate float64, store func(georeport.Store) georeport.Store) (*testServer, *sentryServer) {
	t.Helper()
	ingest := newSentryServer(t)
	dsn := "http://public@" + strings.TrimPrefix(ingest.URL, "http://") + "/42"
	m, err := monitor.New(monitor.Options{DSN: dsn, Environment: "test", Release: "open311@test",
		TracesSampleRate: sampleRate, Transport: sentry.NewHTTPSyncTransport()})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, "catalog.json", func(c *Config) {
		c.Monitor = m
		c.Store = monitor.TraceStore(store(c.Store))
	})
	return ts, ingest
}

// faultyStore fails CreateRequest with err, panics in FindRequests when panics is set, waits
// in FindRequests for the end of the request's context when waits is set, and passes other
// calls through.
type faultyStore struct {
	georeport.Store
	createErr error
	panics    bool
	waits     bool
}

func (s faultyStore) CreateRequest(ctx context.Context, r *georeport.Request) error {
	if s.createErr != nil {
		return s.createErr
	}
	return s.Store.CreateRequest(ctx, r)
}

func (s faultyStore) FindRequests(ctx context.Context, q *georeport.Query) (*georeport.Page, error) {
	if s.panics {
		panic("index out of range in the page builder")
	}
	if s.waits {
		<-ctx.Done()
		return nil, &georeport.Error{Kind: georeport.Unavailable, Op: "sqlite: find requests", Err: ctx.Err()}
	}
	return s.Store.FindRequests(ctx, q)
}

func tag(event map[string]any, key string) string {
	tags, _ := event["tags"].(map[string]any)
	value, _ := tags[key].(string)
	return value
}

func TestSentryReportsPanic(t *testing.T) {
	ts, ingest := reportingServer(t, 0, func(s georeport.Store) georeport.Store { return faultyStore{Store: s, panics: true} })
	resp := ts.get(t, "requests.json?service_code=BIN", "X-Request-ID", "req-panic-1")
	if body := readBody(t, resp); resp.StatusCode != 500 || !strings.Contains(string(body), `"code":500`) {
		t.Fatalf("GET after a panic = %d %s, want 500 with an Open311 error list", resp.StatusCode, body)
	}
	events := ingest.items(t, "event")
	if len(events) != 1 {
		t.Fatalf("Sentry got %d events, want 1 for the panic", len(events))
	}
	event := events[0]
	for key, want := range map[string]string{"route": "GET /requests", "request_id": "req-panic-1",
		"service_code": "BIN", "jurisdiction": "conformance.test"} {
		if got := tag(event, key); got != want {
			t.Errorf("tag %s = %q, want %q", key, got, want)
		}
	}
	if event["level"] != "fatal" || !strings.Contains(ingest.raw(), "index out of range in the page builder") {
		t.Errorf("the panic event is %v, want level fatal with the panic's message", event)
	}
}

func TestSentryReports5xxReducedToKind(t *testing.T) {
	driverErr := &georeport.Error{Kind: georeport.Internal, Op: "sqlite: create request",
		Err: errors.New(`UNIQUE constraint failed: requests.email "maija.virtanen@example.org"`)}
	ts, ingest := reportingServer(t, 0, func(s georeport.Store) georeport.Store { return faultyStore{Store: s, createErr: driverErr} })
	resp := ts.post(t, "requests.xml", withField(validForm(), "email", "maija.virtanen@example.org"), "X-Request-ID", "req-5xx-1")
	if body := readBody(t, resp); resp.StatusCode != 500 || !strings.Contains(string(body), "<code>500</code>") {
		t.Fatalf("POST on a failing store = %d %s, want 500 with an XML error list", resp.StatusCode, body)
	}
	events := ingest.items(t, "event")
	if len(events) != 1 {
		t.Fatalf("Sentry got %d events, want 1 for the 5xx", len(events))
	}
	if got := tag(events[0], "route"); got != "POST /requests" {
		t.Errorf("route tag = %q, want the route pattern POST /requests", got)
	}
	if got := tag(events[0], "service_code"); got != "POT" {
		t.Errorf("service_code tag = %q, want POT", got)
	}
	raw := ingest.raw()
	if !strings.Contains(raw, "sqlite: create request: internal") {
		t.Errorf("the event does not name the failed operation and kind:\n%s", raw)
	}
	if strings.Contains(raw, "maija.virtanen") || strings.Contains(raw, "UNIQUE constraint") {
		t.Errorf("the event quotes the driver's message:\n%s", raw)
	}
}

func TestSentryTracesStoreCalls(t *testing.T) {
	ts, ingest := reportingServer(t, 1, func(s georeport.Store) georeport.Store { return s })
	if resp := ts.get(t, "requests.json?status=open"); resp.StatusCode != 200 {
		t.Fatalf("GET = %d", resp.StatusCode)
	}
	transactions := ingest.items(t, "transaction")
	if len(transactions) != 1 {
		t.Fatalf("Sentry got %d transactions, want 1", len(transactions))
	}
	tx := transactions[0]
	if tx["transaction"] != "GET /requests" {
		t.Errorf("transaction name = %v, want the route pattern GET /requests", tx["transaction"])
	}
	spans, _ := tx["spans"].([]any)
	var descriptions []string
	for _, s := range spans {
		span, _ := s.(map[string]any)
		description, _ := span["description"].(string)
		descriptions = append(descriptions, description)
	}
	if !strings.Contains(strings.Join(descriptions, ","), "Store.FindRequests") {
		t.Errorf("spans are %v, want one for Store.FindRequests", descriptions)
	}
	if len(ingest.items(t, "event")) != 0 {
		t.Error("a successful request produced an error event")
	}
}

func TestSentryGetsNoPersonalData(t *testing.T) {
	driverErr := &georeport.Error{Kind: georeport.Unavailable, Op: "mongo: create request",
		Err: errors.New("connection reset; last command had email maija@example.org phone +358401234567")}
	ts, ingest := reportingServer(t, 1, func(s georeport.Store) georeport.Store { return faultyStore{Store: s, createErr: driverErr} })
	personal := map[string]string{
		"email": "maija.meikalainen@example.org", "first_name": "Maija-Liisa", "last_name": "Meikäläinen",
		"phone": "+358 40 765 4321", "device_id": "device-8f3a2c", "account_id": "account-77123",
		"description": "Kuoppa talon Maija-Liisa Meikäläinen edessä", "address_string": "Salainen katu 7 B 12",
	}
	form := validForm()
	for name, value := range personal {
		form.Set(name, value)
	}
	// The query repeats the email and the key of the form, because a different value would
	// be rejected as a conflict before the store is called.
	query := url.Values{"email": {personal["email"]}, "api_key": {testKey}}
	r := formRequest("requests.json?"+query.Encode(), form)
	r.Header.Set("Authorization", "Bearer "+testKey)
	r.Header.Set("Cookie", "session=cookie-secret")
	resp := ts.do(t, r)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("POST = %d %s, want 503", resp.StatusCode, readBody(t, resp))
	}
	// Give the trace's transport a moment; the sync transport sends before it returns.
	time.Sleep(10 * time.Millisecond)
	raw := ingest.raw()
	if len(ingest.items(t, "event")) != 1 || len(ingest.items(t, "transaction")) != 1 {
		t.Fatalf("Sentry got %d events and %d transactions, want one of each", len(ingest.items(t, "event")),
			len(ingest.items(t, "transaction")))
	}
	secrets := []string{testKey, "cookie-secret", "maija@example.org",
		"358401234567", "Salainen", "Meikäläinen", "Maija-Liisa", "device-8f3a2c", "account-77123", "765 4321"}
	for _, secret := range secrets {
		if strings.Contains(raw, secret) {
			t.Errorf("Sentry received %q", secret)
		}
	}
	for name, value := range personal {
		if strings.Contains(raw, value) {
			t.Errorf("Sentry received the posted %s", name)
		}
	}
}

// TestClientCancelIsNotAnError checks that a client that leaves during a slow query is
// neither reported to Sentry nor logged as an error, and that the access log records 499.
func TestClientCancelIsNotAnError(t *testing.T) {
	ts, ingest := reportingServer(t, 0, func(s georeport.Store) georeport.Store { return faultyStore{Store: s, waits: true} })
	var logs bytes.Buffer
	ts.log = slog.New(slog.NewJSONHandler(&logs, nil))

	// net/http cancels the context of a request whose client closed the connection.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(20*time.Millisecond, cancel)
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/open311/v2/requests.json", nil)
	r.Header.Set("X-Request-ID", "req-gone-2")
	ts.ServeHTTP(httptest.NewRecorder(), r)

	if events := ingest.items(t, "event"); len(events) != 0 {
		t.Errorf("Sentry got %d events, want none for a client that left", len(events))
	}
	checkClientLeftLogs(t, logs.String(), "req-gone-2")
}

// checkClientLeftLogs checks the JSON log records of a request whose client left: each is at
// info level, and the access record has status 499.
func checkClientLeftLogs(t *testing.T, logs, requestID string) {
	t.Helper()
	var access map[string]any
	for line := range strings.Lines(logs) {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if record["request_id"] != requestID {
			continue
		}
		if record["level"] != "INFO" {
			t.Errorf("log record %v, want level INFO", record)
		}
		if record["msg"] == "request" {
			access = record
		}
	}

	if access == nil {
		t.Fatalf("no access record for request %s in:\n%s", requestID, logs)
	}
	if access["status"] != float64(statusClientClosed) {
		t.Errorf("access record status = %v, want %d", access["status"], statusClientClosed)
	}
}
