package handlers

import (
	"sync"
	"unsafe"

	"github.com/open311-to-go/open311/georeport"
)

// defaultItemCacheBytes is the memory of encoded list items that a server keeps.
const defaultItemCacheBytes = 4 << 20

// itemCache keeps the encoded bytes of requests in lists, so that a page that clients read
// again and again, such as a map view or the newest requests of a service, is not encoded
// anew each time: encoding was the larger part of serving such a page.
//
// Entries are found by the address of the request that a store returned. A store that
// caches its decoded requests, as the SQLite store does, returns the same request until it
// changes, and a changed request is a new one, so an entry can never show an older version.
// The key keeps its request alive, so no other request can take its address. Requests that
// a store decodes anew for each query never match, and a request enters the cache only when
// its address is seen a second time, so they rarely take room.
//
// When the cache is full, it evicts entries at random.
type itemCache struct {
	mu      sync.Mutex
	entries map[itemKey][]byte
	size    int
	limit   int
	// seen records the addresses of requests encoded once since it was last cleared. It
	// keeps no request alive; an address that a new request reuses only admits it early.
	seen map[uintptr]struct{}
}

// itemKey is a request and everything besides it that its encoding depends on. The time zone
// and the catalog are the server's, the same for every item.
type itemKey struct {
	request    *georeport.Request
	format     Format
	extensions bool
	lang       string
}

// itemOverhead estimates the memory an entry takes besides its bytes.
const itemOverhead = 96

// seenLimit is the number of addresses that seen holds before it is cleared.
const seenLimit = 1 << 15

func newItemCache(limit int) *itemCache {
	return &itemCache{entries: map[itemKey][]byte{}, limit: limit, seen: map[uintptr]struct{}{}}
}

// get returns the encoded item; callers must not change it.
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
