package handlers

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// listParams is a parsed GET requests query.
type listParams struct {
	query      georeport.Query
	page       int
	pageSize   int
	extensions bool
	// fixedEnd is the end_date that page links add when the request has none and its
	// window ends now.
	fixedEnd string
}

// queryRules are the settings that parseListParams applies.
type queryRules struct {
	now     time.Time
	loc     *time.Location
	maxSpan time.Duration // 0 disables the limit
}

// parseListParams parses the parameters of GET requests. An empty value counts as absent.
// With service_request_id, the filters and the default window are neither applied nor
// validated. The error lists every problem found, as a *georeport.Error of kind Invalid.
func parseListParams(values url.Values, rules queryRules) (*listParams, error) {
	p := &listParams{page: 1, pageSize: georeport.MaxPageSize}
	var ps georeport.Problems
	get := func(name string) string { return firstValue(values, name) }

	p.page = parsePositive(&ps, "page", get("page"), 1, 0)
	p.pageSize = parsePositive(&ps, "page_size", get("page_size"), georeport.MaxPageSize, georeport.MaxPageSize)
	p.extensions = parseExtensions(&ps, get("extensions"))
	p.query.StandardFields = !p.extensions

	if ids := listValues(values, "service_request_id"); len(ids) > 0 {
		if len(ids) > georeport.MaxPageSize {
			ps.Add(georeport.Invalid, locale.MsgTooManyValues, "service_request_id", len(ids), georeport.MaxPageSize)
		}
		p.query.IDs = distinct(ids)
	} else {
		parseFilters(&ps, &p.query, values, rules)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}

	p.query.Limit = p.pageSize
	if p.page-1 > (math.MaxInt32 / p.pageSize) {
		p.query.Offset = math.MaxInt32 // far past any store's last page
	} else {
		p.query.Offset = (p.page - 1) * p.pageSize
	}
	return p, nil
}

func parseFilters(ps *georeport.Problems, q *georeport.Query, values url.Values, rules queryRules) {
	get := func(name string) string { return firstValue(values, name) }

	q.ServiceCodes = listValues(values, "service_code")
	checkListLength(ps, "service_code", q.ServiceCodes)
	q.ServiceCodes = distinct(q.ServiceCodes)
	for _, s := range listValues(values, "status") {
		switch strings.ToLower(s) {
		case "open":
			q.Statuses = appendOnce(q.Statuses, georeport.StatusOpen)
		case "closed":
			q.Statuses = appendOnce(q.Statuses, georeport.StatusClosed)
		default:
			ps.Add(georeport.Invalid, locale.MsgInvalidChoice, "status", s, locale.AnyOf{"open", "closed"})
		}
	}
	for _, s := range listValues(values, "detailed_status") {
		q.DetailedStatuses = append(q.DetailedStatuses, strings.ToUpper(s))
	}
	checkListLength(ps, "detailed_status", q.DetailedStatuses)
	q.DetailedStatuses = distinct(q.DetailedStatuses)
	q.Agency = get("agency_responsible")

	parseDates(ps, q, values, rules)
	parseArea(ps, q, values)

	q.ServiceObjectID = get("service_object_id")
	q.ServiceObjectType = get("service_object_type")
	switch {
	case q.ServiceObjectID != "" && q.ServiceObjectType == "":
		ps.Add(georeport.Invalid, locale.MsgNeedsPartner, "service_object_id", "service_object_type")
	case q.ServiceObjectType != "" && q.ServiceObjectID == "":
		ps.Add(georeport.Invalid, locale.MsgNeedsPartner, "service_object_type", "service_object_id")
	}

	// A q of spaces alone counts as absent, as an empty one does.
	if text := strings.TrimSpace(get("q")); text != "" {
		// Every word must match, so a repeated word adds nothing.
		var words []string
		for _, word := range georeport.SearchWords(text) {
			if !slices.Contains(words, word) {
				words = append(words, word)
			}
		}
		switch {
		case len([]rune(text)) > georeport.MaxSearchLength:
			ps.Add(georeport.Invalid, locale.MsgTooLong, "q", len([]rune(text)), georeport.MaxSearchLength)
		case len(words) == 0:
			ps.Add(georeport.Invalid, locale.MsgNoSearchWords, text)
		case len(words) > georeport.MaxSearchWords:
			ps.Add(georeport.Invalid, locale.MsgTooManyWords, len(words), georeport.MaxSearchWords)
		default:
			q.Words = words
		}
	}
}

// parseDates sets the date bounds, including the standard's default window of 90 days.
func parseDates(ps *georeport.Problems, q *georeport.Query, values url.Values, rules queryRules) {
	start, hasStart := parseTime(ps, "start_date", firstValue(values, "start_date"), rules.loc)
	end, hasEnd := parseTime(ps, "end_date", firstValue(values, "end_date"), rules.loc)
	after, hasAfter := parseTime(ps, "updated_after", firstValue(values, "updated_after"), rules.loc)
	before, hasBefore := parseTime(ps, "updated_before", firstValue(values, "updated_before"), rules.loc)
	window := georeport.DefaultWindow

	switch {
	case hasStart && hasEnd:
		if start.After(end) {
			ps.Add(georeport.Invalid, locale.MsgStartAfterEnd, "start_date", firstValue(values, "start_date"),
				"end_date", firstValue(values, "end_date"))
		} else if rules.maxSpan > 0 && end.Sub(start) > rules.maxSpan {
			ps.Add(georeport.Invalid, locale.MsgSpanTooLong, firstValue(values, "start_date"),
				firstValue(values, "end_date"), int(rules.maxSpan/(24*time.Hour)))
		}
		q.RequestedFrom, q.RequestedTo = start, end
	case hasStart:
		q.RequestedFrom, q.RequestedTo = start, start.Add(window)
		if rules.now.Before(q.RequestedTo) {
			q.RequestedTo = rules.now
		}
	case hasEnd:
		q.RequestedFrom, q.RequestedTo = end.Add(-window), end
	case !hasAfter && !hasBefore && !anyValue(values, "start_date", "end_date", "updated_after", "updated_before"):
		q.RequestedFrom, q.RequestedTo = rules.now.Add(-window), rules.now
	}

	switch {
	case hasAfter && hasBefore:
		if after.After(before) {
			ps.Add(georeport.Invalid, locale.MsgStartAfterEnd, "updated_after", firstValue(values, "updated_after"),
				"updated_before", firstValue(values, "updated_before"))
		}
		q.UpdatedFrom, q.UpdatedTo = after, before
	case hasAfter:
		q.UpdatedFrom, q.UpdatedTo = after, rules.now
	case hasBefore:
		q.UpdatedTo = before
	}
}

// parseArea sets the circle or the box.
func parseArea(ps *georeport.Problems, q *georeport.Query, values url.Values) {
	latText, longText, radiusText := firstValue(values, "lat"), firstValue(values, "long"), firstValue(values, "radius")
	if latText != "" || longText != "" || radiusText != "" {
		var missing []string
		for _, f := range []struct{ name, value string }{{"lat", latText}, {"long", longText}, {"radius", radiusText}} {
			if f.value == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			ps.Add(georeport.Invalid, locale.MsgCircleIncomplete, locale.AllOf(missing))
		}
		lat, latOK := parseBounded(ps, "lat", latText, 90)
		long, longOK := parseBounded(ps, "long", longText, 180)
		radius, radiusOK := 0.0, false
		if radiusText != "" {
			radius, radiusOK = georeport.ParseDecimal(radiusText)
			if !radiusOK || radius <= 0 || radius > georeport.MaxRadius {
				ps.Add(georeport.Invalid, locale.MsgInvalidRadius, radiusText, georeport.MaxRadius)
				radiusOK = false
			}
		}
		if latOK && longOK && radiusOK {
			q.Circle = &georeport.Circle{Center: georeport.Point{Lat: lat, Long: long}, Radius: radius}
			if !anyValue(values, "start_date", "end_date", "updated_after", "updated_before") {
				q.Order = georeport.NearestFirst
			}
		}
	}

	if text := firstValue(values, "bbox"); text != "" {
		box, ok := parseBBox(text)
		if !ok {
			ps.Add(georeport.Invalid, locale.MsgInvalidBBox, text)
		} else {
			q.BBox = box
		}
	}
}

// parseBBox parses minLong,minLat,maxLong,maxLat with "," or ";" between the numbers. The
// corners may come in either order.
func parseBBox(text string) (*georeport.BBox, bool) {
	parts := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' })
	if len(parts) != 4 || strings.Count(text, ",")+strings.Count(text, ";") != 3 {
		return nil, false
	}
	var n [4]float64
	for i, part := range parts {
		f, ok := georeport.ParseDecimal(strings.TrimSpace(part))
		if !ok {
			return nil, false
		}
		n[i] = f
	}
	long1, lat1, long2, lat2 := n[0], n[1], n[2], n[3]
	for _, long := range []float64{long1, long2} {
		if long < -180 || long > 180 {
			return nil, false
		}
	}
	for _, lat := range []float64{lat1, lat2} {
		if lat < -90 || lat > 90 {
			return nil, false
		}
	}
	return &georeport.BBox{
		MinLong: math.Min(long1, long2), MinLat: math.Min(lat1, lat2),
		MaxLong: math.Max(long1, long2), MaxLat: math.Max(lat1, lat2),
	}, true
}

func parseBounded(ps *georeport.Problems, name, text string, limit float64) (float64, bool) {
	if text == "" {
		return 0, false
	}
	f, ok := georeport.ParseDecimal(text)
	if !ok {
		ps.Add(georeport.Invalid, locale.MsgInvalidNumber, name, text)
		return 0, false
	}
	if f < -limit || f > limit {
		ps.Add(georeport.Invalid, locale.MsgOutOfRange, name, text, -limit, limit)
		return 0, false
	}
	return f, true
}

func parseTime(ps *georeport.Problems, name, text string, loc *time.Location) (time.Time, bool) {
	if text == "" {
		return time.Time{}, false
	}
	t, ok := georeport.ParseDateTime(text, loc)
	if !ok {
		ps.Add(georeport.Invalid, locale.MsgInvalidDateTime, name, text)
	}
	return t, ok
}

// parsePositive parses a whole number of at least 1, at most max when max > 0, returning def
// when the text is empty.
func parsePositive(ps *georeport.Problems, name, text string, def, max int) int {
	if text == "" {
		return def
	}
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil || n < 1 || (max > 0 && n > int64(max)) {
		if max == 0 {
			max = math.MaxInt32
		}
		ps.Add(georeport.Invalid, locale.MsgInvalidPageSize, name, text, max)
		return def
	}
	return int(n)
}

func parseExtensions(ps *georeport.Problems, text string) bool {
	switch strings.ToLower(text) {
	case "true", "1", "all":
		return true
	case "", "false", "0":
		return false
	}
	ps.Add(georeport.Invalid, locale.MsgInvalidChoice, "extensions", text, locale.AnyOf{"true", "1", "all", "false", "0"})
	return false
}

// paramKind is the way a query parameter that the server reads takes its values.
type paramKind uint8

const (
	// singleParam takes one value. A request that repeats one with different values is
	// rejected, because the server would otherwise use one of them and ignore the others
	// without a word.
	singleParam paramKind = iota + 1
	// listParam takes a comma-separated list, and may be repeated to add values.
	listParam
)

// queryParams are the query parameters that the server reads, by kind.
var queryParams = map[string]paramKind{
	"jurisdiction_id": singleParam, "locale": singleParam, "page": singleParam, "page_size": singleParam,
	"extensions": singleParam, "agency_responsible": singleParam, "start_date": singleParam,
	"end_date": singleParam, "updated_after": singleParam, "updated_before": singleParam, "lat": singleParam,
	"long": singleParam, "radius": singleParam, "bbox": singleParam, "service_object_id": singleParam,
	"service_object_type": singleParam, "q": singleParam, "api_key": singleParam,
	"service_request_id": listParam, "service_code": listParam, "status": listParam, "detailed_status": listParam,
}

// checkQuery adds a problem for each parameter of queryParams whose value in values is not
// valid UTF-8, which a search would otherwise report as having no words, and for each single
// parameter that values repeats with different values. It looks up only the parameters that
// values has, which are few, so that requests pay next to nothing for it.
func checkQuery(ps *georeport.Problems, values url.Values) {
	var invalid, repeated []string
	for name, vs := range values {
		kind := queryParams[name]
		if kind == 0 {
			continue
		}
		if !allValidUTF8(vs) {
			invalid = append(invalid, name)
		}
		if kind == singleParam && len(vs) > 1 && conflicting(vs) {
			repeated = append(repeated, name)
		}
	}
	// The map's order is random, and problems come in the order of the names.
	slices.Sort(invalid)
	slices.Sort(repeated)
	for _, name := range repeated {
		ps.Add(georeport.Invalid, locale.MsgConflictingValues, name)
	}
	for _, name := range invalid {
		ps.Add(georeport.Invalid, locale.MsgInvalidUTF8, name)
	}
}

// conflicting reports whether values has two different non-empty values.
func conflicting(values []string) bool {
	first := ""
	for _, v := range values {
		switch {
		case v == "":
		case first == "":
			first = v
		case v != first:
			return true
		}
	}
	return false
}

// checkUTF8 adds a problem for each parameter of names that has a value in values that is not
// valid UTF-8.
func checkUTF8(ps *georeport.Problems, values url.Values, names ...string) {
	for _, name := range names {
		if !allValidUTF8(values[name]) {
			ps.Add(georeport.Invalid, locale.MsgInvalidUTF8, name)
		}
	}
}

// allValidUTF8 reports whether every value is valid UTF-8.
func allValidUTF8(values []string) bool {
	return !slices.ContainsFunc(values, func(v string) bool { return !utf8.ValidString(v) })
}

// checkRepeated adds a problem for each parameter of names that values contains more than
// once with different non-empty values.
func checkRepeated(ps *georeport.Problems, values url.Values, names ...string) {
	for _, name := range names {
		if conflicting(values[name]) {
			ps.Add(georeport.Invalid, locale.MsgConflictingValues, name)
		}
	}
}

// firstValue returns the first non-empty value of the parameter.
func firstValue(values url.Values, name string) string {
	for _, v := range values[name] {
		if v != "" {
			return v
		}
	}
	return ""
}

// listValues returns the comma-separated values of every occurrence of the parameter,
// trimmed, without empty ones.
func listValues(values url.Values, name string) []string {
	var out []string
	for _, v := range values[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// distinct returns list without the values that it repeats, in the order of their first
// occurrence. A value listed twice would otherwise match its requests twice.
func distinct(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0:0]
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// appendOnce appends v to list unless list contains it.
func appendOnce[T comparable](list []T, v T) []T {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func checkListLength(ps *georeport.Problems, name string, list []string) {
	if len(list) > georeport.MaxListValues {
		ps.Add(georeport.Invalid, locale.MsgTooManyValues, name, len(list), georeport.MaxListValues)
	}
}

func anyValue(values url.Values, names ...string) bool {
	for _, name := range names {
		if firstValue(values, name) != "" {
			return true
		}
	}
	return false
}

// parseQuery parses a query string like url.ParseQuery, but splits pairs on "&" only, so that
// a semicolon is a literal character, as bbox=24.9;60.15;24.98;60.2 needs. A pair with an
// invalid percent escape is kept undecoded and reported.
func parseQuery(raw string) (url.Values, bool) {
	if raw == "" {
		return url.Values{}, true
	}
	values := url.Values{}
	ok := true
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		decodedName, err1 := url.QueryUnescape(name)
		decodedValue, err2 := url.QueryUnescape(value)
		if err1 != nil || err2 != nil {
			ok = false
			continue
		}
		values[decodedName] = append(values[decodedName], decodedValue)
	}
	return values, ok
}
