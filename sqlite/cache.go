package sqlite

import (
	"sync"

	"github.com/open311-to-go/open311/georeport"
)

// defaultCacheBytes is the memory that a store's request cache may take, as estimated by
// requestSize. Each garbage collection marks every cached request, with up to about 30
// pointers each, so a larger cache slows every other query. In the load test at 1,000,000
// requests, 16 MiB served 6,560 bboxes and 2,990 POSTs a second, and 8 MiB 8,900 and 4,800.
const defaultCacheBytes = 8 << 20

// requestCache keeps decoded requests by row id, so that the pages that clients read again
// and again, such as the newest requests of a service, are not read and decoded from SQLite
// each time. When the cache is full, it evicts entries at random, which needs no bookkeeping
// per read.
//
// The cached requests are shared, so callers of FindRequests must not change the requests
// they get, and callers of Request must not change their slices.
//
// A request enters the cache on its second read while seen still records the first. Rows
// that queries read once, such as those of circles around random points, then do not push
// out the pages that clients read again and again.
type requestCache struct {
	mu      sync.Mutex
	entries map[cacheKey]cachedRequest
	size    int
	limit   int
	// seen has one bit per hash of a cache key, set by a row's first read since seen was
	// last cleared. Two keys may share a bit, so up to one row in sixteen enters on its first
	// read. The bits cut put from 3.4% to 1.9% of the CPU of circles at 1,000,000 requests,
	// against a map of the keys.
	seen      []uint64
	seenCount int
}

// seenBits is the number of bits of requestCache.seen (128 KiB), and seenLimit the number
// of first reads that it records before it is cleared.
const (
	seenBits  = 1 << 20
	seenLimit = 1 << 16
)

// cacheKey is a row id and the version of the row that memIndex counts, so that a write
// makes every older copy unreachable; eviction frees it later. standard marks a copy with
// only the fields that packedStandardColumns reads.
type cacheKey struct {
	rowID    int64
	version  uint32
	standard bool
}

type cachedRequest struct {
	request *georeport.Request
	size    int
}

func newRequestCache(limit int) *requestCache {
	return &requestCache{entries: map[cacheKey]cachedRequest{}, limit: limit, seen: make([]uint64, seenBits/64)}
}

func (c *requestCache) get(key cacheKey) (*georeport.Request, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.request, ok
}

// find returns the cached copy of a row's version with every field, or when standard is set
// also one with only the standard fields.
func (c *requestCache) find(rowID int64, version uint32, standard bool) (*georeport.Request, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[cacheKey{rowID: rowID, version: version}]; ok {
		return e.request, true
	}
	if standard {
		if e, ok := c.entries[cacheKey{rowID: rowID, version: version, standard: true}]; ok {
			return e.request, true
		}
	}
	return nil, false
}

func (c *requestCache) put(key cacheKey, r *georeport.Request) {
	size := requestSize(r)
	if size > c.limit/16 || !c.admit(key) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.size -= old.size
	}
	c.entries[key] = cachedRequest{request: r, size: size}
	c.size += size
	if !key.standard {
		// find prefers the copy with every field, so the other is no longer read.
		standard := key
		standard.standard = true
		if old, ok := c.entries[standard]; ok {
			delete(c.entries, standard)
			c.size -= old.size
		}
	}
	for id, e := range c.entries { // Go visits a map in random order
		if c.size <= c.limit {
			break
		}
		delete(c.entries, id)
		c.size -= e.size
	}
}

// admit reports whether the row was read before, and records that it has been.
func (c *requestCache) admit(key cacheKey) bool {
	h := key.hash() % seenBits
	word, bit := h/64, uint64(1)<<(h%64)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[word]&bit != 0 {
		c.seen[word] &^= bit
		return true
	}
	if c.seenCount >= seenLimit {
		clear(c.seen)
		c.seenCount = 0
	}
	c.seen[word] |= bit
	c.seenCount++
	return false
}

// hash mixes the key's fields with the finalizer of SplitMix64, so that nearby row ids fall
// on unrelated bits.
func (k cacheKey) hash() uint64 {
	x := uint64(k.rowID)<<1 ^ uint64(k.version)<<40
	if k.standard {
		x ^= 1
	}
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
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
