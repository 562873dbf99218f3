package georeport

import (
	"strings"
	"time"
)

// ParseDateTime parses a datetime as clients send it: RFC 3339 with "Z" or an offset and
// optional fractional seconds; a "+" of the offset that arrived decoded as a space; no zone,
// read in loc; or a date alone, meaning the start of that day in loc. The date and time may
// also be separated by a space. It reports false for anything else, including dates that do
// not exist such as 2024-02-30.
func ParseDateTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) == len("2006-01-02") {
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		return t, err == nil
	}
	if len(s) < len("2006-01-02T15:04:05") {
		return time.Time{}, false
	}
	b := []byte(s)
	if b[10] == ' ' || b[10] == 't' {
		b[10] = 'T'
	}
	// A query string's "+" becomes a space when decoded: "10:15:30 02:00" means +02:00.
	if n := len(b); n >= 25 && b[n-6] == ' ' && b[n-3] == ':' {
		b[n-6] = '+'
	}
	if last := b[len(b)-1]; last == 'z' {
		b[len(b)-1] = 'Z'
	}
	s = string(b)
	if hasZone(s) {
		t, err := time.Parse(time.RFC3339, s)
		return t, err == nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", s, loc)
	return t, err == nil
}

// hasZone reports whether an RFC 3339 datetime ends in Z or a numeric offset.
func hasZone(s string) bool {
	if strings.HasSuffix(s, "Z") {
		return true
	}
	n := len(s)
	return n >= 6 && (s[n-6] == '+' || s[n-6] == '-') && s[n-3] == ':'
}

// FormatDateTime returns t as RFC 3339 in loc with seconds precision, "Z" for UTC.
func FormatDateTime(t time.Time, loc *time.Location) string {
	return string(AppendDateTime(nil, t, loc))
}

// AppendDateTime appends t as FormatDateTime writes it.
func AppendDateTime(b []byte, t time.Time, loc *time.Location) []byte {
	return t.In(loc).Truncate(time.Second).AppendFormat(b, time.RFC3339)
}
