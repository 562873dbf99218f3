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
	entries map[int64]cachedRow // by row id
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
// makes every older copy unreachable. standard marks a copy with only the fields that
// packedStandardColumns reads.
type cacheKey struct {
	rowID    int64
	version  uint32
	standard bool
}

// cachedRow is the one copy that the cache keeps of a row. The map is keyed by the row id
// alone, which Go hashes faster than a cacheKey. Lookups of a page's 100 rows by cacheKey
// took 9% of the CPU of service_code + status lists at 1,000,000 requests.
type cachedRow struct {
	request  *georeport.Request
	version  uint32
	standard bool
	size     int
}

func newRequestCache(limit int) *requestCache {
	return &requestCache{entries: map[int64]cachedRow{}, limit: limit, seen: make([]uint64, seenBits/64)}
}

// get returns the cached copy of a row's version with every field.
func (c *requestCache) get(key cacheKey) (*georeport.Request, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookup(key.rowID, key.version, false)
}

// lookup returns the copy of a row's version with every field, or when standard is set
// also one with only the standard fields. c.mu must be held.
func (c *requestCache) lookup(rowID int64, version uint32, standard bool) (*georeport.Request, bool) {
	e, ok := c.entries[rowID]
	if !ok || e.version != version || (e.standard && !standard) {
		return nil, false
	}
	return e.request, true
}

// findAll sets found[i] to the copy of row rowIDs[i] in version versions[i] that lookup
// finds, and leaves it nil where there is none. It takes the lock for each row, because
// pages on the other processor would wait for a lock held for a whole page. In the item
// cache of the handlers, that raised the p99 of bboxes with wrk by an eighth.
func (c *requestCache) findAll(rowIDs []int64, versions []uint32, standard bool, found []*georeport.Request) {
	for i, id := range rowIDs {
		c.mu.Lock()
		found[i], _ = c.lookup(id, versions[i], standard)
		c.mu.Unlock()
	}
}

// put keeps r as the copy of a row's version when the row was read before. A copy with
// every field stays in place of one with only the standard fields of the same version,
// because it serves both kinds of query.
func (c *requestCache) put(key cacheKey, r *georeport.Request) {
	size := requestSize(r)
	if size > c.limit/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.admit(key) {
		return
	}
	old, ok := c.entries[key.rowID]
	if ok {
		if old.version == key.version && !old.standard && key.standard {
			return
		}
		c.size -= old.size
	}
	c.entries[key.rowID] = cachedRow{request: r, version: key.version, standard: key.standard, size: size}
	c.size += size
	for id, e := range c.entries { // Go visits a map in random order
		if c.size <= c.limit {
			break
		}
		delete(c.entries, id)
		c.size -= e.size
	}
}

// admit reports whether the row was read before, and records that it has been. c.mu must
// be held.
func (c *requestCache) admit(key cacheKey) bool {
	h := key.hash() % seenBits
	word, bit := h/64, uint64(1)<<(h%64)
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
