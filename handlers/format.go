package handlers

import (
	"strings"

	"github.com/open311-to-go/open311/locale"
)

// Format is a response format, chosen by the suffix of the path's last segment.
type Format int

// The formats. JSON is the zero value because a path without a suffix is served as JSON.
const (
	JSON Format = iota
	XML
	GeoJSON
)

var formatNames = [...]string{JSON: "json", XML: "xml", GeoJSON: "geojson"}

var contentTypes = [...]string{
	JSON:    "application/json; charset=utf-8",
	XML:     "text/xml; charset=utf-8",
	GeoJSON: "application/geo+json; charset=utf-8",
}

func (f Format) String() string { return formatNames[f] }

// ContentType returns the Content-Type header of the format.
func (f Format) ContentType() string { return contentTypes[f] }

// parseFormat returns the format a suffix names.
func parseFormat(suffix string) (Format, bool) {
	for f, name := range formatNames {
		if name == suffix {
			return Format(f), true
		}
	}
	return JSON, false
}

// splitSuffix splits the format suffix off an escaped path: the text after the last dot of the
// last segment, when it names a known format. It returns the path without it, the format,
// and whether there was one. Any other dot is part of an id or a code.
func splitSuffix(escapedPath string) (string, Format, bool) {
	slash := strings.LastIndexByte(escapedPath, '/')
	dot := strings.LastIndexByte(escapedPath, '.')
	if dot <= slash+1 {
		// No dot in the last segment, or the segment starts with its only dot.
		return escapedPath, JSON, false
	}
	f, ok := parseFormat(escapedPath[dot+1:])
	if !ok {
		return escapedPath, JSON, false
	}
	return escapedPath[:dot], f, true
}

// formatList returns the names of formats as a message argument, which reads "json or xml"
// in English.
func formatList(formats []Format) locale.AnyOf {
	names := make(locale.AnyOf, len(formats))
	for i, f := range formats {
		names[i] = f.String()
	}
	return names
}
