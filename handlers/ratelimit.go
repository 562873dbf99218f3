package handlers

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// Rate is a rate limit: Count requests per Per. The zero Rate means no limit.
type Rate struct {
	Count int
	Per   time.Duration
}

// limiter applies one Rate to many clients with the generic cell rate algorithm: each client
// may send Count requests at once, and then one every Per/Count.
type limiter struct {
	rate     Rate
	interval time.Duration
	mu       sync.Mutex
	// due is, per client, the time at which its bucket is full again.
	due       map[string]time.Time
	lastSweep time.Time
}

func newLimiter(r Rate) *limiter {
	if r.Count <= 0 || r.Per <= 0 {
		return nil
	}
	return &limiter{rate: r, interval: r.Per / time.Duration(r.Count), due: map[string]time.Time{}}
}

// allow takes one request of the client from its bucket. When the bucket is empty it returns
// false and how long the client must wait.
func (l *limiter) allow(client string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)

	due := l.due[client]
	if due.Before(now) {
		due = now
	}
	// A full bucket holds Count requests, so the client may be up to Per - interval ahead.
	if ahead := due.Sub(now); ahead > l.rate.Per-l.interval {
		return false, ahead - (l.rate.Per - l.interval)
	}
	l.due[client] = due.Add(l.interval)
	return true, 0
}

// sweep deletes the state of clients whose buckets are full again, at most once per Per.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.rate.Per {
		return
	}
	l.lastSweep = now
	for client, due := range l.due {
		if due.Before(now) {
			delete(l.due, client)
		}
	}
}

// clientAddress returns the address of the client that sent r. When the connection comes
// from a trusted proxy, it is the last address in X-Forwarded-For that is not itself a
// trusted proxy; a client cannot forge it, because only the proxies' own entries are skipped.
func (s *Server) clientAddress(r *http.Request) string {
	remote := remoteAddr(r)
	if !s.trusted(remote) {
		return remote.String()
	}
	forwarded := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(forwarded) - 1; i >= 0; i-- {
		addr, err := forwardedAddr(strings.TrimSpace(forwarded[i]))
		if err != nil {
			break // a malformed entry ends what can be believed
		}
		if !s.trusted(addr.Unmap()) {
			return addr.Unmap().String()
		}
	}
	return remote.String()
}

// forwardedAddr parses an X-Forwarded-For entry: an address, or an address with a port as
// some proxies write it, such as 203.0.113.9:51234 or [2001:db8::5]:443.
func forwardedAddr(entry string) (netip.Addr, error) {
	if addr, err := netip.ParseAddr(entry); err == nil {
		return addr, nil
	}
	addrPort, err := netip.ParseAddrPort(entry)
	return addrPort.Addr(), err
}

func remoteAddr(r *http.Request) netip.Addr {
	addrPort, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		addr, _ := netip.ParseAddr(r.RemoteAddr)
		return addr.Unmap()
	}
	return addrPort.Addr().Unmap()
}

func (s *Server) trusted(addr netip.Addr) bool {
	for _, prefix := range s.cfg.TrustedProxies {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}

// rateLimited returns a 429 error with the wait when the limiter rejects the client.
func (s *Server) rateLimited(x *exchange, l *limiter, client string) error {
	ok, wait := l.allow(client, s.cfg.Now())
	if ok {
		return nil
	}
	seconds := int(math.Ceil(wait.Seconds()))
	if seconds < 1 {
		seconds = 1
	}
	x.w.Header().Set("Retry-After", strconv.Itoa(seconds))
	return &statusError{status: http.StatusTooManyRequests, problem: georeport.Problem{
		Message: locale.MsgRateLimited, Args: []any{seconds},
	}}
}
