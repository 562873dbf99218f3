package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// FuzzOpen reads arbitrary bytes as an import file. Open and Next must not panic, must end,
// and must return only records that pass the import rules.
func FuzzOpen(f *testing.F) {
	for _, path := range []string{
		"chicago/service_requests.json",
		"giessen/services.xml",
		"helsinki/discovery.json",
		"helsinki/services.json",
		"helsinki/services_sv.json",
		"toronto/requests_many.xml",
	} {
		data, err := os.ReadFile("../testdata/" + path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
	}
	helsinki, err := os.ReadFile("../testdata/helsinki/requests.json")
	if err != nil {
		f.Fatal(err)
	}
	// The first record and a half, so that the fuzzer starts from Helsinki's extensions.
	f.Add(helsinki[:4000], false)
	f.Add([]byte(partialRequests), false)
	f.Add([]byte("[\xef\xbb\xbf{\"service_code\": \"1\", \"service_name\": \"V\xe4g\"}]"), true)
	f.Add([]byte(`<service_requests><request><service_request_id>1</service_request_id></request></service_requests>`), false)

	f.Fuzz(func(t *testing.T, data []byte, latin1 bool) {
		// A panic from the watchdog makes the fuzzer save the input that hangs, which a
		// plain time limit would not.
		watchdog := time.AfterFunc(10*time.Second, func() {
			panic(fmt.Sprintf("Open and Next still running after 10 s on %d bytes", len(data)))
		})
		defer watchdog.Stop()

		opts := Options{}
		if latin1 {
			opts.Charset = Latin1
		}
		rd, err := Open(bytes.NewReader(data), "fuzz", opts)
		if err != nil {
			return
		}

		// Every element takes at least one byte, so a file has fewer records than bytes.
		for calls := 0; ; calls++ {
			if calls > len(data)+1 {
				t.Fatalf("Next() returned %d results for %d bytes without io.EOF", calls, len(data))
			}
			rec, err := rd.Next()
			if err == io.EOF {
				return
			}
			var bad *RecordError
			if errors.As(err, &bad) {
				continue
			}
			if err != nil {
				if _, again := rd.Next(); again != err {
					t.Fatalf("Next() after %v = %v, want the same error", err, again)
				}
				return
			}
			checkRecord(t, rec)
		}
	})
}

// checkRecord fails the test when a record that Next returned breaks an import rule.
func checkRecord(t *testing.T, rec Record) {
	t.Helper()
	switch {
	case rec.Request != nil && rec.Service != nil, rec.Request == nil && rec.Service == nil:
		t.Fatalf("Record = %+v, want exactly one of Request and Service", rec)
	case rec.Service != nil:
		if rec.Service.Code == "" || rec.Service.Name == "" {
			t.Fatalf("Service = %+v, want a code and a name", *rec.Service)
		}
		return
	}

	r := rec.Request
	if r.ID == "" {
		t.Fatalf("Request = %+v, want an id", *r)
	}
	if r.Status != georeport.StatusOpen && r.Status != georeport.StatusClosed && r.Status != "" {
		t.Fatalf("Request.Status = %q, want open, closed or empty", r.Status)
	}
	if r.Updated.IsZero() && !r.Requested.IsZero() {
		t.Fatalf("Request times = %v, %v, want updated set when requested is", r.Requested, r.Updated)
	}
	if p := r.Location; p != nil {
		if math.IsNaN(p.Lat) || math.IsNaN(p.Long) || math.Abs(p.Lat) > 90 || math.Abs(p.Long) > 180 {
			t.Fatalf("Request.Location = %+v, want a point in range", *p)
		}
	}
}
