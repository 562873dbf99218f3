package main

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/handlers"
)

// days is a duration flag that also accepts whole days, such as 90d.
type days time.Duration

func (d *days) String() string {
	if *d == 0 {
		return "0"
	}
	if time.Duration(*d)%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", time.Duration(*d)/(24*time.Hour))
	}
	return time.Duration(*d).String()
}

// Set parses the value of -max-span from the command line and from OPEN311_MAX_SPAN alike, so
// both get the same message for an invalid value.
func (d *days) Set(s string) error {
	span, ok := parseDays(s)
	if !ok {
		return fmt.Errorf("%q is not 0 or a duration such as 90d or 2160h", s)
	}
	*d = days(span)
	return nil
}

// parseDays parses 0, a whole number of days such as 90d, or a duration that
// time.ParseDuration accepts, such as 2160h. It rejects negative durations and days beyond
// the range of time.Duration, about 292 years.
func parseDays(s string) (time.Duration, bool) {
	if s == "0" {
		return 0, true
	}
	if number, ok := strings.CutSuffix(s, "d"); ok {
		count, err := strconv.ParseInt(number, 10, 64)
		if err != nil || count < 0 || count > int64(math.MaxInt64/(24*time.Hour)) {
			return 0, false
		}
		return time.Duration(count) * 24 * time.Hour, true
	}
	span, err := time.ParseDuration(s)
	if err != nil || span < 0 {
		return 0, false
	}
	return span, true
}

// byteSize is a size flag in bytes that also accepts the suffixes KiB, MiB and GiB.
type byteSize int64

// String writes whole mebibytes and kibibytes with their suffix, so that help shows
// defaults as they are usually given.
func (b *byteSize) String() string {
	n := int64(*b)
	switch {
	case n != 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n != 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(s string) error {
	number, multiplier := s, int64(1)
	for _, unit := range []struct {
		suffix string
		size   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, unit.suffix); ok {
			number, multiplier = n, unit.size
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(number), 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a size in bytes such as 1048576 or 1MiB", s)
	}
	if n > (1<<40)/multiplier {
		return fmt.Errorf("%q is too large: use at most 1024GiB", s)
	}
	*b = byteSize(n * multiplier)
	return nil
}

// sizeOrZero is a byteSize that may also be 0, which turns off what it sizes.
type sizeOrZero byteSize

func (b *sizeOrZero) String() string { return (*byteSize)(b).String() }

func (b *sizeOrZero) Set(s string) error {
	number := strings.TrimSpace(s)
	for _, suffix := range []string{"KiB", "MiB", "GiB"} {
		number = strings.TrimSuffix(number, suffix)
	}
	if n, err := strconv.ParseInt(number, 10, 64); err == nil && n == 0 {
		*b = 0
		return nil
	}
	return (*byteSize)(b).Set(s)
}

// minHeadroom is the smallest -memory-headroom accepted. Below it the runtime would collect
// garbage after almost every request.
const minHeadroom = 16 << 20

// headroomSize is the -memory-headroom flag: auto, 0, or at least minHeadroom.
type headroomSize struct {
	sizeOrZero
	// auto, the default, sizes the headroom by the memory in use once the store is open.
	auto bool
}

// The automatic headroom is half the memory in use once the store is open, within these
// bounds, so that a larger index gets more room for garbage. The minimum leaves room for the
// caches, which fill after start-up, and for garbage besides. At 1,000,000 requests the
// caches took 24 MB of live heap. With 32 MiB, a small store's limit fell under its live heap
// once the caches were full, and the bbox scenario at 100,000 requests lost half its
// throughput. On a store of about 270,000 requests, 48 MiB instead of 64 lowered the peak RSS
// from 156 to 138 MB for 8% fewer bboxes a second, and left the other scenarios within 7%.
const (
	autoHeadroomMin = 48 << 20
	autoHeadroomMax = 96 << 20
)

func (h *headroomSize) String() string {
	if h.auto {
		return "auto"
	}
	return h.sizeOrZero.String()
}

func (h *headroomSize) Set(s string) error {
	if strings.TrimSpace(s) == "auto" {
		*h = headroomSize{auto: true}
		return nil
	}
	h.auto = false
	if err := h.sizeOrZero.Set(s); err != nil {
		return fmt.Errorf("%w, or auto", err)
	}
	if h.sizeOrZero != 0 && h.sizeOrZero < minHeadroom {
		return fmt.Errorf("%q is too small: use at least 16MiB, auto, or 0 for the Go runtime's default", s)
	}
	return nil
}

// off reports whether the flag leaves the Go runtime's memory settings alone.
func (h headroomSize) off() bool { return !h.auto && h.sizeOrZero == 0 }

// bytes returns the headroom for a process that uses the memory once the store is open.
func (h headroomSize) bytes(used int64) int64 {
	if h.auto {
		return min(max(used/2, autoHeadroomMin), autoHeadroomMax)
	}
	return int64(h.sizeOrZero)
}

// rate is a rate limit flag: COUNT/DURATION such as 10/1m, or 0 for no limit.
type rate handlers.Rate

func (r *rate) String() string {
	if r.Count == 0 {
		return "0"
	}
	return fmt.Sprintf("%d/%s", r.Count, r.Per)
}

func (r *rate) Set(s string) error {
	if s == "0" || s == "" {
		*r = rate{}
		return nil
	}
	count, per, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 0 {
		return fmt.Errorf("%q is not a rate such as 10/1m", s)
	}
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per // 10/m means 10/1m
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a rate such as 10/1m: the duration after / is invalid", s)
	}
	*r = rate{Count: n, Per: d}
	return nil
}

// logLevel is the -log-level flag.
type logLevel struct{ level slog.Level }

func (l *logLevel) String() string { return strings.ToLower(l.level.String()) }

func (l *logLevel) Set(s string) error {
	switch strings.ToLower(s) {
	case "debug":
		l.level = slog.LevelDebug
	case "info":
		l.level = slog.LevelInfo
	case "warn", "warning":
		l.level = slog.LevelWarn
	case "error":
		l.level = slog.LevelError
	default:
		return fmt.Errorf("%q is not a log level; use debug, info, warn or error", s)
	}
	return nil
}

// listenAddress is a flag of a TCP address to listen on, host:port, such as 127.0.0.1:8080 or
// :8080. Set checks only the form, because whether the address can be listened on is known
// only when the server listens.
type listenAddress string

func (a *listenAddress) String() string { return string(*a) }

func (a *listenAddress) Set(s string) error {
	if err := checkListenAddress(s); err != nil {
		return err
	}
	*a = listenAddress(s)
	return nil
}

// optionalAddress is a listenAddress that may be empty, which turns off its listener.
type optionalAddress listenAddress

func (a *optionalAddress) String() string { return string(*a) }

func (a *optionalAddress) Set(s string) error {
	if s == "" {
		*a = ""
		return nil
	}
	return (*listenAddress)(a).Set(s)
}

// checkListenAddress returns an error that names the accepted form unless s is host:port,
// with a port from 0 to 65535 or a service name such as http. An empty host is every
// interface.
func checkListenAddress(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return fmt.Errorf("%q is not an address to listen on; use host:port or :port, such as 127.0.0.1:8080 or :8080", s)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("%q has an invalid port %q; use a number from 0 to 65535, such as 127.0.0.1:8080", s, port)
	}
	return nil
}

// prefixList is a flag of comma-separated IP addresses and CIDR ranges.
type prefixList []netip.Prefix

func (p *prefixList) String() string {
	parts := make([]string, len(*p))
	for i, prefix := range *p {
		parts[i] = prefix.String()
	}
	return strings.Join(parts, ",")
}

func (p *prefixList) Set(s string) error {
	*p = nil
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if prefix, err := netip.ParsePrefix(part); err == nil {
			*p = append(*p, prefix.Masked())
			continue
		}
		addr, err := netip.ParseAddr(part)
		if err != nil {
			return fmt.Errorf("%q is not an IP address or a CIDR range such as 10.0.0.0/8", part)
		}
		*p = append(*p, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return nil
}

// stringList is a flag of comma-separated values.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// originList is a comma-separated list of web origins, such as https://app.example.org, or
// *. Set writes each origin as browsers send it in the Origin header, so that
// https://App.example.org/ matches too.
type originList []string

func (l *originList) String() string { return strings.Join(*l, ",") }

func (l *originList) Set(s string) error {
	var origins []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if part == "*" {
			origins = append(origins, part)
			continue
		}
		origin, err := normalizeOrigin(part)
		if err != nil {
			return err
		}
		origins = append(origins, origin)
	}
	*l = origins
	return nil
}

// normalizeOrigin returns the origin s as a browser serializes it, or an error that names
// what is wrong with s.
func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	// url.Parse writes the scheme in lower case.
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%q is not an origin; give the scheme and host of the web page, such as https://app.example.org", s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q is not an origin: an origin has no path, query or user; give only the scheme and host, such as https://app.example.org", s)
	}
	scheme := u.Scheme
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// wholeNumber is an integer flag whose error names the accepted form, where the flag
// package's own integers report only "parse error". Commands check the range themselves.
type wholeNumber int

func (n *wholeNumber) String() string { return strconv.Itoa(int(*n)) }

func (n *wholeNumber) Set(s string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, strconv.IntSize)
	if err != nil {
		return fmt.Errorf("%q is not a whole number such as 5000", s)
	}
	*n = wholeNumber(v)
	return nil
}

// duration is a time.Duration flag whose error names the accepted form, where the flag
// package's own durations report only "parse error". Commands check the range themselves.
type duration time.Duration

func (d *duration) String() string { return time.Duration(*d).String() }

func (d *duration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 30s, 5m or 1h", s)
	}
	*d = duration(v)
	return nil
}

// sampleRate is a flag of a share from 0 to 1, such as 0.1 for one in ten.
type sampleRate float64

func (r *sampleRate) String() string { return strconv.FormatFloat(float64(*r), 'g', -1, 64) }

func (r *sampleRate) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	// The comparison is false for NaN too.
	if err != nil || !(v >= 0 && v <= 1) {
		return fmt.Errorf("%q is not a number from 0 to 1, such as 0.1", s)
	}
	*r = sampleRate(v)
	return nil
}

// seedNumber is a flag of a random seed: a whole number from 0 to 2^64-1.
type seedNumber uint64

func (n *seedNumber) String() string { return strconv.FormatUint(uint64(*n), 10) }

func (n *seedNumber) Set(s string) error {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number from 0 to 18446744073709551615", s)
	}
	*n = seedNumber(v)
	return nil
}

// keyRole is the -role flag of open311 keys create.
type keyRole string

func (r *keyRole) String() string { return string(*r) }

func (r *keyRole) Set(s string) error {
	if s != georeport.RoleClient && s != georeport.RoleStaff {
		return fmt.Errorf("%q is not a role; use %s or %s", s, georeport.RoleClient, georeport.RoleStaff)
	}
	*r = keyRole(s)
	return nil
}
