package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// requestList returns a JSON list of n requests whose descriptions contain two- to four-byte
// UTF-8 characters, so that reads in small pieces cut sequences apart.
func requestList(n int) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"service_request_id": "r%d", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", `+
			`"description": "Ä ä ö å ß € 😀 %d"}`, i, i)
	}
	b.WriteString("\n]\n")
	return b.String()
}

func TestUTF8CutAcrossReads(t *testing.T) {
	text := requestList(3000)
	readers := []struct {
		name string
		r    func() io.Reader
	}{
		{"one byte", func() io.Reader { return iotest.OneByteReader(strings.NewReader(text)) }},
		{"half", func() io.Reader { return iotest.HalfReader(strings.NewReader(text)) }},
		{"data with EOF", func() io.Reader { return iotest.DataErrReader(strings.NewReader(text)) }},
	}
	for _, rr := range readers {
		t.Run(rr.name, func(t *testing.T) {
			rd, err := Open(rr.r(), "list.json", Options{})
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			res := readAll(t, rd)
			if res.err != nil || len(res.bad) > 0 {
				t.Fatalf("error %v, bad records %v", res.err, res.bad)
			}
			requests := res.requests()
			if len(requests) != 3000 {
				t.Fatalf("read %d requests, want 3000", len(requests))
			}
			if got, want := requests[2999].Description, "Ä ä ö å ß € 😀 2999"; got != want {
				t.Errorf("last Description = %q, want %q", got, want)
			}
		})
	}
}

func TestInvalidUTF8FarIntoFile(t *testing.T) {
	// Record 2001 of 3000 holds a Latin-1 "ä" in place of its "Ä", far past the first read
	// buffers.
	text := requestList(3000)
	mark := `"r2000", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "description": "`
	at := strings.Index(text, mark) + len(mark)
	text = text[:at] + "\xe4" + text[at+len("Ä"):]

	for _, oneByte := range []bool{false, true} {
		t.Run(fmt.Sprintf("one byte %t", oneByte), func(t *testing.T) {
			var r io.Reader = strings.NewReader("\xef\xbb\xbf" + text)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			rd, err := Open(r, "list.json", Options{})
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			res := readAll(t, rd)
			if len(res.requests()) != 2000 {
				t.Errorf("read %d requests before the invalid byte, want 2000", len(res.requests()))
			}
			var encodingErr *EncodingError
			if !errors.As(res.err, &encodingErr) {
				t.Fatalf("Next() = %v, want an *EncodingError", res.err)
			}
			// The offset counts the 3 bytes of the byte-order mark.
			if want := int64(3 + at); encodingErr.Offset != want {
				t.Errorf("EncodingError.Offset = %d, want %d", encodingErr.Offset, want)
			}
		})
	}
}

func TestLatin1AcrossReads(t *testing.T) {
	// Latin-1 "Vägmärken" repeated past one read buffer.
	name := strings.Repeat("V\xe4gm\xe4rken ", 10000)
	text := `[{"service_code": "198", "service_name": "` + name + `"}]`
	rd, err := Open(iotest.HalfReader(strings.NewReader(text)), "sv.json", Options{Charset: "Latin-1"})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	res := readAll(t, rd)
	if res.err != nil || len(res.bad) > 0 {
		t.Fatalf("error %v, bad records %v", res.err, res.bad)
	}
	services := res.services()
	if len(services) != 1 {
		t.Fatalf("read %d services, want 1", len(services))
	}
	if want := strings.Repeat("Vägmärken ", 10000); services[0].Name != want {
		t.Errorf("Name = %.40q…, want %.40q…", services[0].Name, want)
	}
}

func TestRecordTooLarge(t *testing.T) {
	defer func(limit int64) { maxRecordBytes = limit }(maxRecordBytes)
	maxRecordBytes = 1 << 20

	record := func(size int) string {
		return `{"service_request_id": "x", "status": "open", "requested_datetime": "2015-03-04T14:40:04Z", "description": "` +
			strings.Repeat("a", size) + `"}`
	}
	text := "[" + record(900_000) + ",\n" + record(2_000_000) + "]"
	rd, err := Open(strings.NewReader(text), "large.json", Options{})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	res := readAll(t, rd)
	if len(res.records) != 1 {
		t.Errorf("read %d records, want the first one, which is under the limit", len(res.records))
	}
	want := "large.json: record 2: record too large: it is over 1 MiB, so the file is probably cut off or malformed"
	if res.err == nil || res.err.Error() != want {
		t.Errorf("Next() = %v, want %q", res.err, want)
	}
}

func TestCanonicalCharset(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"", UTF8},
		{"UTF-8", UTF8},
		{"utf8", UTF8},
		{"latin1", Latin1},
		{"Latin-1", Latin1},
		{"ISO-8859-1", Latin1},
		{" iso8859-1 ", Latin1},
	}
	for _, tt := range tests {
		got, err := ParseCharset(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("ParseCharset(%q) = %q, %v, want %q, nil", tt.name, got, err, tt.want)
		}
	}
	if got, err := ParseCharset("windows-1252"); err == nil {
		t.Errorf("ParseCharset(%q) = %q, nil, want an error", "windows-1252", got)
	}
}
