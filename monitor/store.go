package monitor

import (
	"context"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/open311-to-go/open311/georeport"
)

// TraceStore returns a store that records a span around each call of s in the trace of the
// call's context. Calls outside a traced request cost one context lookup.
func TraceStore(s georeport.Store) georeport.Store { return &tracedStore{store: s} }

type tracedStore struct{ store georeport.Store }

// span starts a span for the store call, or returns nil when ctx is not traced.
func span(ctx context.Context, method string) *sentry.Span {
	if sentry.TransactionFromContext(ctx) == nil {
		return nil
	}
	return sentry.StartSpan(ctx, "db.query", sentry.WithDescription("Store."+method))
}

func finish(s *sentry.Span, err error) {
	if s == nil {
		return
	}
	if err != nil {
		s.Status = sentry.SpanStatusInternalError
		s.SetTag("kind", georeport.KindOf(err).String())
	}
	s.Finish()
}

func (t *tracedStore) CreateRequest(ctx context.Context, r *georeport.Request) (err error) {
	s := span(ctx, "CreateRequest")
	defer func() { finish(s, err) }()
	return t.store.CreateRequest(ctx, r)
}

func (t *tracedStore) ImportRequests(ctx context.Context, rs []georeport.Request) (replaced int, err error) {
	s := span(ctx, "ImportRequests")
	defer func() { finish(s, err) }()
	return t.store.ImportRequests(ctx, rs)
}

func (t *tracedStore) Request(ctx context.Context, id string) (r *georeport.Request, err error) {
	s := span(ctx, "Request")
	defer func() { finish(s, err) }()
	return t.store.Request(ctx, id)
}

// FindRequestsInParts passes the call on when the store splits pages, and else hands over
// the whole page as one part.
func (t *tracedStore) FindRequestsInParts(ctx context.Context, q *georeport.Query, size int, part func(*georeport.Page) error) (err error) {
	s := span(ctx, "FindRequestsInParts")
	defer func() { finish(s, err) }()
	if parts, ok := t.store.(georeport.PartStore); ok {
		return parts.FindRequestsInParts(ctx, q, size, part)
	}
	page, err := t.store.FindRequests(ctx, q)
	if err != nil {
		return err
	}
	return part(page)
}

func (t *tracedStore) RequestIDByToken(ctx context.Context, token string) (id string, err error) {
	s := span(ctx, "RequestIDByToken")
	defer func() { finish(s, err) }()
	return t.store.RequestIDByToken(ctx, token)
}

func (t *tracedStore) FindRequests(ctx context.Context, q *georeport.Query) (p *georeport.Page, err error) {
	s := span(ctx, "FindRequests")
	defer func() { finish(s, err) }()
	return t.store.FindRequests(ctx, q)
}

func (t *tracedStore) Catalog(ctx context.Context) (data []byte, err error) {
	s := span(ctx, "Catalog")
	defer func() { finish(s, err) }()
	return t.store.Catalog(ctx)
}

func (t *tracedStore) SaveCatalog(ctx context.Context, data []byte) (err error) {
	s := span(ctx, "SaveCatalog")
	defer func() { finish(s, err) }()
	return t.store.SaveCatalog(ctx, data)
}

func (t *tracedStore) CreateKey(ctx context.Context, k *georeport.Key) (err error) {
	s := span(ctx, "CreateKey")
	defer func() { finish(s, err) }()
	return t.store.CreateKey(ctx, k)
}

func (t *tracedStore) KeyByHash(ctx context.Context, hash string) (k *georeport.Key, err error) {
	s := span(ctx, "KeyByHash")
	defer func() { finish(s, err) }()
	return t.store.KeyByHash(ctx, hash)
}

func (t *tracedStore) Keys(ctx context.Context) (keys []georeport.Key, err error) {
	s := span(ctx, "Keys")
	defer func() { finish(s, err) }()
	return t.store.Keys(ctx)
}

func (t *tracedStore) RevokeKey(ctx context.Context, name string) (err error) {
	s := span(ctx, "RevokeKey")
	defer func() { finish(s, err) }()
	return t.store.RevokeKey(ctx, name)
}

func (t *tracedStore) ReserveMedia(ctx context.Context, m georeport.MediaReservation) (err error) {
	s := span(ctx, "ReserveMedia")
	defer func() { finish(s, err) }()
	return t.store.ReserveMedia(ctx, m)
}

func (t *tracedStore) ReleaseMedia(ctx context.Context, names []string) (err error) {
	s := span(ctx, "ReleaseMedia")
	defer func() { finish(s, err) }()
	return t.store.ReleaseMedia(ctx, names)
}

func (t *tracedStore) StaleMedia(ctx context.Context, before time.Time, limit int) (list []georeport.MediaReservation, err error) {
	s := span(ctx, "StaleMedia")
	defer func() { finish(s, err) }()
	return t.store.StaleMedia(ctx, before, limit)
}

func (t *tracedStore) MediaInUse(ctx context.Context, urls []string) (used map[string]bool, err error) {
	s := span(ctx, "MediaInUse")
	defer func() { finish(s, err) }()
	return t.store.MediaInUse(ctx, urls)
}

func (t *tracedStore) Ping(ctx context.Context) (err error) {
	s := span(ctx, "Ping")
	defer func() { finish(s, err) }()
	return t.store.Ping(ctx)
}

func (t *tracedStore) Close() error { return t.store.Close() }
