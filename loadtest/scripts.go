package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/seed"
)

// scenario is one kind of request that wrk sends in a run.
type scenario struct {
	name  string // short name for -scenarios and file names
	title string // row label of the report
	// request is the Lua expression that wrk's request function returns; it may use the
	// tables of the script's data.
	request string
	// django holds the Django reference throughput as a range of requests/s, zero when
	// there is none.
	django [2]float64
	// pacedRate is the rate of the scenario's paced run in requests/s, zero for none, and
	// paced draws the path and query of each of its requests as request does for wrk.
	pacedRate float64
	paced     func(*rand.Rand) string
}

// Django reference figures, measured on a machine of this kind with 100,000 requests and
// wrk at 32 connections, in requests/s.
var (
	djangoServices      = [2]float64{500, 500}
	djangoByID          = [2]float64{450, 450}
	djangoServiceStatus = [2]float64{70, 70}
	djangoRadius        = [2]float64{1, 2}
	djangoPost          = [2]float64{75, 75}
)

// djangoResidentMB is the resident memory of the Django server and its database together in
// the same measurement.
const djangoResidentMB = 765

// scriptData are the values that the scripts draw from: ids of seeded requests, circle
// centres from the seed's clusters, and form bodies for POST.
type scriptData struct {
	ids       []string
	centres   []georeport.Point
	postForms []string
	now       time.Time
}

// newScriptData draws the values of the scripts. ids are the ids of requests in the store.
func newScriptData(ids []string, apiKey string, now time.Time, random *rand.Rand) scriptData {
	d := scriptData{ids: ids, now: now}
	for range 1000 {
		d.centres = append(d.centres, seed.Point(random))
	}
	generator := seed.New(seed.Options{Seed: random.Uint64(), Now: now})
	codes := serviceCodes()
	for range 200 {
		r := generator.Request()
		p := seed.Point(random)
		form := url.Values{
			"api_key":      {apiKey},
			"service_code": {codes[random.IntN(len(codes))]},
			"lat":          {strconv.FormatFloat(p.Lat, 'f', 6, 64)},
			"long":         {strconv.FormatFloat(p.Long, 'f', 6, 64)},
			"description":  {r.Description},
		}
		// A POST's title is at most 120 characters, and a few Helsinki titles are longer.
		if utf8.RuneCountInString(r.Title) <= 120 {
			form.Set("title", r.Title)
		}
		d.postForms = append(d.postForms, form.Encode())
	}
	return d
}

// centreQuery returns the lat and long parameters of the i-th circle centre.
func (d scriptData) centreQuery(i int) string {
	return fmt.Sprintf("lat=%.6f&long=%.6f", d.centres[i].Lat, d.centres[i].Long)
}

// serviceCodes returns the codes of the demo catalog's services.
func serviceCodes() []string {
	var codes []string
	for _, s := range georeport.DemoCatalog().Services {
		codes = append(codes, s.Code)
	}
	return codes
}

// district is the box of the bbox scenario: about 2 by 2 km around the centre of the seed's
// second cluster, Kallio and Alppila north of the city centre.
func district() georeport.BBox {
	c := seed.Clusters()[1]
	return georeport.BBox{MinLong: c.Long - 0.018, MinLat: c.Lat - 0.009, MaxLong: c.Long + 0.018, MaxLat: c.Lat + 0.009}
}

// scenarios returns the scenarios of a run, in the order they run. POST comes last, because
// it adds requests to the store.
func scenarios(root string, d scriptData) []scenario {
	box := district()
	bbox := fmt.Sprintf("%g,%g,%g,%g", box.MinLong, box.MinLat, box.MaxLong, box.MaxLat)
	start := d.now.AddDate(0, 0, -30).Format(time.RFC3339)
	end := d.now.Format(time.RFC3339)
	bboxQuery := url.Values{"bbox": {bbox}, "start_date": {start}, "end_date": {end}, "page_size": {"100"}}.Encode()

	pick := func(r *rand.Rand, values []string) string { return values[r.IntN(len(values))] }
	codes := serviceCodes()
	return []scenario{
		{name: "services-json", title: "GET services.json", request: static("GET", root+"/services.json"), django: djangoServices},
		{name: "services-xml", title: "GET services.xml?locale=fi", request: static("GET", root+"/services.xml?locale=fi"), django: djangoServices},
		{name: "request-by-id", title: "GET requests/{id}.json?extensions=true",
			request: fmt.Sprintf(`wrk.format("GET", %q .. pick(ids) .. ".json?extensions=true")`, root+"/requests/"), django: djangoByID,
			pacedRate: 50 * djangoByID[0],
			paced:     func(r *rand.Rand) string { return root + "/requests/" + pick(r, d.ids) + ".json?extensions=true" }},
		{name: "service-status", title: "GET requests.json?service_code=…&status=open&page_size=100",
			request: fmt.Sprintf(`wrk.format("GET", %q .. pick(codes) .. "&status=open&page_size=100")`, root+"/requests.json?service_code="),
			django:  djangoServiceStatus, pacedRate: 100 * djangoServiceStatus[0],
			paced: func(r *rand.Rand) string {
				return root + "/requests.json?service_code=" + url.QueryEscape(pick(r, codes)) + "&status=open&page_size=100"
			}},
		{name: "radius", title: "GET requests.json?lat=…&long=…&radius=1000&page_size=100",
			request: fmt.Sprintf(`wrk.format("GET", %q .. pick(centres) .. "&radius=1000&page_size=100")`, root+"/requests.json?"),
			django:  djangoRadius, pacedRate: 1000 * djangoRadius[0],
			paced: func(r *rand.Rand) string {
				return root + "/requests.json?" + d.centreQuery(r.IntN(len(d.centres))) + "&radius=1000&page_size=100"
			}},
		{name: "bbox-30-days", title: "GET requests.json?bbox=…&start_date=…&end_date=…&page_size=100 (2 × 2 km, 30 days)",
			request:   static("GET", root+"/requests.json?"+bboxQuery),
			pacedRate: 100 * djangoServiceStatus[0],
			paced:     func(*rand.Rand) string { return root + "/requests.json?" + bboxQuery }},
		{name: "default-window", title: "GET requests.json (90 days, up to 1,000)", request: static("GET", root+"/requests.json")},
		{name: "post", title: "POST requests.json (form, durable)",
			request: fmt.Sprintf(`wrk.format("POST", %q, form_headers, pick(forms))`, root+"/requests.json"), django: djangoPost},
	}
}

// static returns a request expression that sends the same request every time.
func static(method, path string) string {
	return fmt.Sprintf("wrk.format(%q, %q)", method, path)
}

// writeScript writes the wrk script of s with the data tables to dir and returns its path.
//
// Each wrk thread seeds Lua's random numbers with its own number, so the threads draw
// different values. The done function prints the result as JSON after resultPrefix.
func writeScript(dir string, s scenario, d scriptData) (string, error) {
	var b strings.Builder
	b.WriteString("-- Generated by the open311 load test for the scenario " + s.name + ".\n")
	writeLuaTable(&b, "ids", d.ids)
	writeLuaTable(&b, "codes", serviceCodes())
	var centres []string
	for i := range d.centres {
		centres = append(centres, d.centreQuery(i))
	}
	writeLuaTable(&b, "centres", centres)
	writeLuaTable(&b, "forms", d.postForms)
	b.WriteString(`form_headers = {["Content-Type"] = "application/x-www-form-urlencoded"}

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  math.randomseed(7919 * thread_number)
end

function pick(list)
  return list[math.random(#list)]
end

function request()
  return ` + s.request + `
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("` + resultPrefix + `{\"requests\":%d,\"duration_us\":%d,\"bytes\":%d," ..
    "\"errors_status\":%d,\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_timeout\":%d," ..
    "\"p50\":%d,\"p99\":%d,\"p999\":%d,\"max\":%d}\n",
    summary.requests, summary.duration, summary.bytes,
    e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`)
	path := filepath.Join(dir, s.name+".lua")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("write the wrk script: %w", err)
	}
	return path, nil
}

// writeLuaTable writes a global Lua table of strings. The strings are ids, codes and
// URL-encoded text, so they are printable ASCII, which a Go quoted string writes as Lua
// reads it.
func writeLuaTable(b *strings.Builder, name string, values []string) {
	b.WriteString(name + " = {\n")
	for _, v := range values {
		b.WriteString("  " + strconv.QuoteToASCII(v) + ",\n")
	}
	b.WriteString("}\n")
}
