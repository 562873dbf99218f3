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
	mu      sync.Mutex
	entries map[itemKey][]byte
	size    int
	limit   int
	// seen contains the addresses of requests encoded once since it was last cleared. It
	// keeps no request alive, and a new request at a reused address is only admitted early.
	seen map[uintptr]struct{}
}

// itemKey is a request with the settings its encoding depends on. The time zone and the
// catalog are the server's, the same for every item.
type itemKey struct {
	request    *georeport.Request
	format     Format
	extensions bool
	lang       string
}

// itemOverhead estimates the memory an entry takes besides its bytes.
const itemOverhead = 96

// seenLimit is the size at which seen is cleared.
const seenLimit = 1 << 15

func newItemCache(limit int) *itemCache {
	return &itemCache{entries: map[itemKey][]byte{}, limit: limit, seen: map[uintptr]struct{}{}}
}

// get returns the encoded item, which callers must not change.
func (c *itemCache) get(key itemKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.entries[key]
	return b, ok
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
	if old, ok := c.entries[key]; ok {
		c.size -= len(old) + itemOverhead
	}
	c.entries[key] = append([]byte(nil), item...)
	c.size += size
	for k, b := range c.entries { // Go visits a map in random order
		if c.size <= c.limit {
			break
		}
		delete(c.entries, k)
		c.size -= len(b) + itemOverhead
	}
}
