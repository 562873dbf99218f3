package sqlite

import (
	"slices"
	"strings"
	"sync"

	"github.com/open311-to-go/open311/georeport"
)

// defaultCacheBytes is the memory that a store's request cache may take, as estimated by
// requestSize.
const defaultCacheBytes = 16 << 20

// requestCache keeps decoded requests by row id, so that the pages that clients read again
// and again, such as the newest requests of a service, are not read and decoded from SQLite
// each time. When the cache is full, it evicts entries at random, which needs no bookkeeping
// per read.
//
// The cached requests are shared: callers of FindRequests must not change the slices of the
// requests they get.
//
// A request enters the cache on its second read while missed still records the first. Rows
// that queries read once, such as those of circles around random points, then do not push
// out the pages that clients read again and again.
type requestCache struct {
	mu      sync.Mutex
	entries map[cacheKey]cachedRequest
	size    int
	limit   int
	// missed records the rows read once since it was last cleared.
	missed map[cacheKey]struct{}
}

// missedLimit is the number of rows read once that missed records before it is cleared.
const missedLimit = 1 << 16

// cacheKey is a row id and the version of the row that memIndex counts, so that a write
// makes every older copy unreachable; eviction frees it later.
type cacheKey struct {
	rowID   int64
	version uint32
}

type cachedRequest struct {
	request *georeport.Request
	size    int
}

func newRequestCache(limit int) *requestCache {
	return &requestCache{entries: map[cacheKey]cachedRequest{}, limit: limit, missed: map[cacheKey]struct{}{}}
}

func (c *requestCache) get(key cacheKey) (*georeport.Request, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.request, ok
}

func (c *requestCache) put(key cacheKey, r *georeport.Request) {
	size := requestSize(r)
	if size > c.limit/16 || !c.admit(key) {
		return
	}
	r = compacted(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.size -= old.size
	}
	c.entries[key] = cachedRequest{request: r, size: size}
	c.size += size
	for id, e := range c.entries { // Go visits a map in random order
		if c.size <= c.limit {
			break
		}
		delete(c.entries, id)
		c.size -= e.size
	}
}

// admit reports whether the row was read before, and remembers that it has been.
func (c *requestCache) admit(key cacheKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.missed[key]; ok {
		delete(c.missed, key)
		return true
	}
	if len(c.missed) >= missedLimit {
		clear(c.missed)
	}
	c.missed[key] = struct{}{}
	return false
}

// requestSize estimates the memory a decoded request takes, in bytes.
func requestSize(r *georeport.Request) int {
	size := 512 + len(r.ID) + len(r.Jurisdiction) + len(r.Token) + len(r.ServiceCode) + len(r.ServiceName) +
		len(r.StatusNotes) + len(r.Description) + len(r.AgencyResponsible) + len(r.ServiceNotice) +
		len(r.Address) + len(r.AddressID) + len(r.Zipcode) + len(r.MediaURL) + len(r.Title) +
		len(r.DetailedStatus) + len(r.ServiceObjectID) + len(r.ServiceObjectType)
	for _, u := range r.MediaURLs {
		size += 16 + len(u)
	}
	for _, t := range r.Tasks {
		size += 96 + len(t.State) + len(t.Type) + len(t.OwnerName)
	}
	for _, a := range r.Attributes {
		size += 48 + len(a.Code)
		for _, v := range a.Values {
			size += 16 + len(v)
		}
	}
	rep := r.Reporter
	return size + len(rep.Email) + len(rep.FirstName) + len(rep.LastName) + len(rep.Phone) +
		len(rep.DeviceID) + len(rep.AccountID)
}

// compacted returns a copy of r whose strings share one allocation of their own. A decoded
// request's strings point into the text of the whole page it was read with, and a cached
// request must not keep that alive.
func compacted(r *georeport.Request) *georeport.Request {
	c := *r
	if r.Location != nil {
		p := *r.Location
		c.Location = &p
	}
	c.MediaURLs = slices.Clone(r.MediaURLs)
	c.Tasks = slices.Clone(r.Tasks)
	c.Attributes = slices.Clone(r.Attributes)

	// Gather every string of the copy, then point each into one new block.
	fields := []*string{&c.ID, &c.Jurisdiction, &c.Token, &c.ServiceCode, &c.ServiceName, (*string)(&c.Status),
		&c.StatusNotes, &c.Description, &c.AgencyResponsible, &c.ServiceNotice, &c.Address, &c.AddressID,
		&c.Zipcode, &c.MediaURL, &c.Title, &c.DetailedStatus, &c.ServiceObjectID, &c.ServiceObjectType,
		(*string)(&c.Visibility), &c.Reporter.Email, &c.Reporter.FirstName, &c.Reporter.LastName, &c.Reporter.Phone,
		&c.Reporter.DeviceID, &c.Reporter.AccountID}
	for i := range c.MediaURLs {
		fields = append(fields, &c.MediaURLs[i])
	}
	for i := range c.Tasks {
		fields = append(fields, &c.Tasks[i].State, &c.Tasks[i].Type, &c.Tasks[i].OwnerName)
	}
	for i := range c.Attributes {
		c.Attributes[i].Values = slices.Clone(c.Attributes[i].Values)
		fields = append(fields, &c.Attributes[i].Code)
		for j := range c.Attributes[i].Values {
			fields = append(fields, &c.Attributes[i].Values[j])
		}
	}

	n := 0
	for _, f := range fields {
		n += len(*f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(*f)
	}
	all := b.String()

	at := 0
	for _, f := range fields {
		length := len(*f)
		*f = all[at : at+length]
		at += length
	}
	return &c
}
