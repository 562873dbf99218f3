// Package monitor reports server faults and performance traces to Sentry, without personal
// data: reporter names, e-mail addresses, phone numbers, API keys, request bodies and query
// values never leave the server.
//
// A nil *Monitor and a nil *Request are valid and do nothing, so that callers need not check
// whether reporting is on.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/open311-to-go/open311/georeport"
)

// Options configure a Monitor.
type Options struct {
	// DSN is the Sentry project's DSN; reporting is off when it is empty.
	DSN         string
	Environment string
	Release     string
	// TracesSampleRate is the share of requests traced, from 0 to 1.
	TracesSampleRate float64
	// Transport replaces the HTTP transport; tests use a synchronous one.
	Transport sentry.Transport
}

// Monitor reports to one Sentry project.
type Monitor struct {
	client  *sentry.Client
	tracing bool
}

// New returns a Monitor for the options, or nil when opts.DSN is empty. It returns an error
// for a DSN that does not parse or a sample rate outside 0 to 1.
func New(opts Options) (*Monitor, error) {
	if opts.DSN == "" {
		return nil, nil
	}
	if opts.TracesSampleRate < 0 || opts.TracesSampleRate > 1 {
		return nil, fmt.Errorf("monitor: traces sample rate %v is not between 0 and 1", opts.TracesSampleRate)
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:                   opts.DSN,
		Environment:           opts.Environment,
		Release:               opts.Release,
		EnableTracing:         opts.TracesSampleRate > 0,
		TracesSampleRate:      opts.TracesSampleRate,
		SendDefaultPII:        false,
		AttachStacktrace:      true,
		MaxBreadcrumbs:        -1, // breadcrumbs could carry request data, so none are kept
		BeforeSend:            scrubEvent,
		BeforeSendTransaction: scrubEvent,
		Transport:             opts.Transport,
		Integrations: func(defaults []sentry.Integration) []sentry.Integration {
			// Source lines around each frame are left out: they add nothing that the
			// repository does not show, and they are text that no scrubbing can vet.
			var kept []sentry.Integration
			for _, integration := range defaults {
				if integration.Name() != "ContextifyFrames" {
					kept = append(kept, integration)
				}
			}
			return kept
		},
	})
	if err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	return &Monitor{client: client, tracing: opts.TracesSampleRate > 0}, nil
}

// Flush waits up to timeout for queued reports to be sent, and reports whether they were.
func (m *Monitor) Flush(timeout time.Duration) bool {
	if m == nil {
		return true
	}
	return m.client.Flush(timeout)
}

// Request is the report of one HTTP request: its tags, its trace and its faults.
type Request struct {
	hub  *sentry.Hub
	span *sentry.Span
	tags map[string]string
}

// StartRequest starts the report of an HTTP request and returns a context that store calls
// trace their spans in.
func (m *Monitor) StartRequest(ctx context.Context, method string) (context.Context, *Request) {
	if m == nil {
		return ctx, nil
	}
	r := &Request{hub: sentry.NewHub(m.client, sentry.NewScope()), tags: map[string]string{"method": method}}
	ctx = sentry.SetHubOnContext(ctx, r.hub)
	if m.tracing {
		// The name is replaced by the route pattern when the request ends.
		r.span = sentry.StartTransaction(ctx, method, sentry.WithOpName("http.server"),
			sentry.WithTransactionSource(sentry.SourceRoute))
		ctx = r.span.Context()
	}
	return ctx, r
}

// SetTag sets a tag of the request's reports. Only the keys that scrubEvent lets through
// reach Sentry.
func (r *Request) SetTag(key, value string) {
	if r == nil || value == "" {
		return
	}
	r.tags[key] = value
}

// CaptureError reports a server fault. A *georeport.Error is reported as its operation and
// kind only, because the error it wraps may quote stored values, such as a duplicate e-mail
// address in a driver's message.
func (r *Request) CaptureError(err error) {
	if r == nil || err == nil {
		return
	}
	r.hub.WithScope(func(scope *sentry.Scope) {
		scope.SetTags(r.tags)
		scope.SetLevel(sentry.LevelError)
		r.hub.CaptureException(reducedError(err))
	})
}

// CapturePanic reports a panic that the server recovered from.
func (r *Request) CapturePanic(v any) {
	if r == nil {
		return
	}
	r.hub.WithScope(func(scope *sentry.Scope) {
		scope.SetTags(r.tags)
		scope.SetLevel(sentry.LevelFatal)
		r.hub.Recover(v)
	})
}

// Finish ends the request's trace under the route pattern, such as "GET /requests", with
// the response status.
func (r *Request) Finish(route string, status int) {
	if r == nil {
		return
	}
	r.tags["route"] = route
	if r.span == nil {
		return
	}
	r.span.Name = route
	r.span.Status = sentry.HTTPtoSpanStatus(status)
	for key, value := range r.tags {
		r.span.SetTag(key, value)
	}
	r.span.SetData("http.response.status_code", status)
	r.span.Finish()
}

// reducedError returns err without the text that a store error wraps.
func reducedError(err error) error {
	var e *georeport.Error
	if !errors.As(err, &e) {
		return err
	}
	text := e.Kind.String()
	if e.Op != "" {
		text = e.Op + ": " + text
	}
	return &storeError{text: text}
}

// storeError is a store failure reduced to its operation and kind.
type storeError struct{ text string }

func (e *storeError) Error() string { return e.text }
