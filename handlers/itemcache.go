package handlers

import (
	"sync"
	"unsafe"

	"github.com/open311-to-go/open311/georeport"
)

// defaultItemCacheBytes is the memory that a server's encoded list items may take.
const defaultItemCacheBytes = 4 << 20

// itemCache keeps the encoded bytes of requests in lists, because encoding took about 40% of
// the CPU of serving a page that clients read again and again, such as a map view.
//
// An entry is found by the address of the request that the store returned. The SQLite store
// returns the same cached request until the row changes, and a changed row is a new request,
// so an entry never shows an older version. The key keeps its request alive, so no other
// request can take its address. A request enters the cache when its address is seen a second
// time, so requests that a store decodes anew for each query rarely take room.
//
// When the cache is full, it evicts entries at random.
type itemCache struct {
	mu sync.Mutex
	// variants contains the items of each format, language and extensions setting by
	// request. The map of one variant is keyed by a pointer, which Go hashes faster than an
	// itemKey with its language. Lookups with an itemKey took 13% of the CPU of service_code
	// + status lists at 1,000,000 requests.
	variants map[itemVariant]map[*georeport.Request][]byte
	size     int
	limit    int
	// seen contains the addresses of requests encoded once since it was last cleared. It
	// keeps no request alive, and a new request at a reused address is only admitted early.
	seen map[uintptr]struct{}
}

// itemVariant is the settings that the encoding of a request depends on besides the
// request. The time zone and the catalog are the server's, the same for every item.
type itemVariant struct {
	format     Format
	extensions bool
	lang       string
}

// itemKey is a request and the variant of its encoding.
type itemKey struct {
	request *georeport.Request
	itemVariant
}

// itemOverhead estimates the memory an entry takes besides its bytes.
const itemOverhead = 96

// seenLimit is the size at which seen is cleared.
const seenLimit = 1 << 15

func newItemCache(limit int) *itemCache {
	return &itemCache{variants: map[itemVariant]map[*georeport.Request][]byte{}, limit: limit, seen: map[uintptr]struct{}{}}
}

// get returns the encoded item, which callers must not change.
func (c *itemCache) get(key itemKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.variants[key.itemVariant][key.request]
	return b, ok
}

// getAll sets items[i] to the encoded item of rs[i] in the variant, or to nil when there is
// none. Callers must not change the items.
//
// It takes the lock for each item. Taking it once for a page of 100 served 10% more bboxes
// at 1,000,000 requests with wrk, but raised their p99 from 14 to 16 ms, because the pages
// on the other processor waited for it. A read lock raised the p99 to 21 ms.
func (c *itemCache) getAll(variant itemVariant, rs []*georeport.Request, items [][]byte) {
	for i, r := range rs {
		c.mu.Lock()
		items[i] = c.variants[variant][r]
		c.mu.Unlock()
	}
}

// count returns the number of items that the cache holds.
func (c *itemCache) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, entries := range c.variants {
		n += len(entries)
	}
	return n
}

// put keeps a copy of the encoded item if its request was seen before.
func (c *itemCache) put(key itemKey, item []byte) {
	size := len(item) + itemOverhead
	if size > c.limit/64 {
		return
	}
	address := uintptr(unsafe.Pointer(key.request))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[address]; !ok {
		if len(c.seen) >= seenLimit {
			clear(c.seen)
		}
		c.seen[address] = struct{}{}
		return
	}
	entries := c.variants[key.itemVariant]
	if entries == nil {
		entries = map[*georeport.Request][]byte{}
		c.variants[key.itemVariant] = entries
	}
	if old, ok := entries[key.request]; ok {
		c.size -= len(old) + itemOverhead
	}
	entries[key.request] = append([]byte(nil), item...)
	c.size += size
	// Go visits a map in random order.
	for _, entries := range c.variants {
		for r, b := range entries {
			if c.size <= c.limit {
				return
			}
			delete(entries, r)
			c.size -= len(b) + itemOverhead
		}
	}
}
