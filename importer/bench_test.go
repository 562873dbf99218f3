package importer

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"
)

var generatedRequests = flag.Int("requests", 100_000,
	"number of requests in the generated stream of BenchmarkGeneratedStream")

// BenchmarkHelsinki decodes the 1,380 Helsinki requests, 3.1 MB, from memory.
func BenchmarkHelsinki(b *testing.B) {
	data, err := os.ReadFile("../testdata/helsinki/requests.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if n := readRecords(b, bytes.NewReader(data)); n != 1380 {
			b.Fatalf("read %d requests, want 1380", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1380), "ns/request")
}

// BenchmarkGeneratedStream decodes a JSON list of -requests generated requests, each about
// 1.5 KB, made as it is read, so the input is never in memory. It reports the peak of live
// heap sampled every 10,000 records, to show that memory stays bounded.
func BenchmarkGeneratedStream(b *testing.B) {
	n := *generatedRequests
	size := streamSize(n)
	b.SetBytes(size)
	b.ReportAllocs()

	var peak uint64
	for b.Loop() {
		stream := newRequestStream(n)
		rd, err := Open(stream, "generated.json", Options{})
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			count++
			if count%10_000 == 0 {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
		if count != n {
			b.Fatalf("read %d requests, want %d", count, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/request")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(size)/(1<<20), "input-MiB")
}

// readRecords reads every record of r and returns how many there were.
func readRecords(b *testing.B, r io.Reader) int {
	b.Helper()
	rd, err := Open(r, "bench.json", Options{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			return n
		}
		var bad *RecordError
		if err != nil && !errors.As(err, &bad) {
			b.Fatal(err)
		}
		n++
	}
}

// requestStream is a JSON list of generated requests, each made when the reader reaches it.
type requestStream struct {
	n, next int // number of requests, and the index of the next one to make
	buf     []byte
	off     int
}

func newRequestStream(n int) *requestStream { return &requestStream{n: n} }

func (s *requestStream) Read(p []byte) (int, error) {
	for s.off == len(s.buf) {
		if s.next > s.n {
			return 0, io.EOF
		}
		s.buf, s.off = s.element(s.buf[:0], s.next), 0
		s.next++
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

// element appends the text of element i of the stream: the opening bracket and request 0,
// a comma and request i, or the closing bracket when i is n.
func (s *requestStream) element(b []byte, i int) []byte {
	switch {
	case i == s.n:
		return append(b, "\n]\n"...)
	case i == 0:
		b = append(b, "[\n"...)
	default:
		b = append(b, ",\n"...)
	}
	return appendRequest(b, i)
}

// appendRequest appends a request shaped like Helsinki's, with Finnish text, line breaks,
// one media URL and three tasks.
func appendRequest(b []byte, i int) []byte {
	b = append(b, `{"service_request_id": "gen`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `", "status": "closed", "status_notes": "Kiitos palautteestanne. Viestinne on välitetty `+
		`alueen tarkastajalle.\nTerveisin\nRakennusviraston asiakaspalvelu\n", "service_name": "Katujen kunto", `+
		`"service_code": "171", "description": "Rakennusremontti aiheuttaa vaaratilanteita pyöräilijöiden ja `+
		`jalankulkijoiden välille.\r\nKorjatkaa pian.", "agency_responsible": "Rakennusvirasto", "service_notice": "", `+
		`"requested_datetime": "2015-03-04T14:40:04Z", "updated_datetime": "2015-03-05T10:03:12Z", `+
		`"expected_datetime": "2015-03-20T05:10:41.818Z", "address": "Sturenkatu 33, 00550 Helsinki, Suomi", "lat": 60.`...)
	b = strconv.AppendInt(b, int64(1_000_000+i%8_999_999), 10)
	b = append(b, `, "long": 24.9588253, "media_url": "https://example.com/media/a.jpg", "extended_attributes": {`+
		`"title": "Liikennejärjestelyt puuttuvat", "detailed_status": "PROCESSED,PUBLIC_WORKS_COMPLETED", `+
		`"service_object_id": "", "service_object_type": "", "media_urls": ["https://example.com/media/a.jpg"], "tasks": [`+
		`{"task_state": "re_assigned", "task_type": "assigned", "owner_name": "Rakennusvirasto", "task_modified": "2015-03-05T08:13:24Z", "task_created": "2015-03-04T14:40:06Z"}, `+
		`{"task_state": "closed", "task_type": "wait_for_answer", "owner_name": "Rakennusvirasto", "task_modified": "2015-03-05T08:13:58Z", "task_created": "2015-03-05T08:13:24Z"}, `+
		`{"task_state": "completed", "task_type": "wait_for_answer", "owner_name": "Rakennusvirasto", "task_modified": "2015-03-05T10:02:57Z", "task_created": "2015-03-05T10:01:21Z"}]}}`...)
	return b
}

// streamSize returns the number of bytes in a stream of n requests.
func streamSize(n int) int64 {
	var size int64
	s := newRequestStream(n)
	var buf []byte
	for i := 0; i <= n; i++ {
		buf = s.element(buf[:0], i)
		size += int64(len(buf))
	}
	return size
}

func TestGeneratedStream(t *testing.T) {
	stream := newRequestStream(3)
	rd, err := Open(stream, "generated.json", Options{})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	res := readAll(t, rd)
	if res.err != nil || len(res.bad) > 0 {
		t.Fatalf("error %v, bad records %v", res.err, res.bad)
	}
	requests := res.requests()
	if len(requests) != 3 || requests[2].ID != "gen2" || len(requests[2].Tasks) != 3 {
		t.Fatalf("read %d requests, want 3 with ids gen0 to gen2 and three tasks each", len(requests))
	}
	if got, want := rd.InputOffset(), streamSize(3); got != want {
		t.Errorf("InputOffset() = %d, want the stream size %d", got, want)
	}
	if size := streamSize(1000) / 1000; size < 1400 || size > 1600 {
		t.Errorf("a generated request is %d bytes, want about 1.5 KB", size)
	}
}
