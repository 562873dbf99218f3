package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseWrkOutput(t *testing.T) {
	output := "Running 15s test @ http://127.0.0.1:8080\n  2 threads and 32 connections\n" +
		`LOADTEST {"requests":1500,"duration_us":15000000,"bytes":99,"errors_status":2,"errors_connect":0,` +
		`"errors_read":1,"errors_write":0,"errors_timeout":0,"p50":800,"p99":4100,"p999":9000,"max":12000}` + "\n"
	got, err := parseWrkOutput([]byte(output))
	if err != nil {
		t.Fatal(err)
	}
	if got.RequestsPerSecond() != 100 {
		t.Errorf("RequestsPerSecond() = %v, want 100", got.RequestsPerSecond())
	}
	if got.Errors() != 3 {
		t.Errorf("Errors() = %d, want 3", got.Errors())
	}
	if got.P999 != 9000 {
		t.Errorf("P999 = %d, want 9000", got.P999)
	}

	if _, err := parseWrkOutput([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Error("parseWrkOutput of output without a result line succeeded, want an error")
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\topen311\nVmPeak:\t 1947188 kB\nVmHWM:\t   96252 kB\nVmRSS:\t   95468 kB\nThreads:\t7\n"
	got, err := parseStatus(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"VmHWM": 96252, "VmRSS": 95468} {
		if got[name] != want {
			t.Errorf("%s = %d, want %d", name, got[name], want)
		}
	}
	if _, ok := got["Threads"]; ok {
		t.Error("parseStatus read Threads, which is not a size in kB")
	}
}

func TestMemorySamplerOwnProcess(t *testing.T) {
	m := startMemorySampler(os.Getpid())
	time.Sleep(3 * sampleEvery)
	if peak := m.Stop(); peak < 1<<20 {
		t.Errorf("peak RSS of this test = %d bytes, want at least 1 MiB", peak)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"thousands small", thousands(999), "999"},
		{"thousands large", thousands(1234567), "1,234,567"},
		{"latency below 10 ms", formatLatency(850), "0.85 ms"},
		{"latency in ms", formatLatency(45_600), "46 ms"},
		{"latency in s", formatLatency(2_500_000), "2.50 s"},
		{"Django single", djangoRatio(1000, [2]float64{500, 500}), "2.0×"},
		{"Django range", djangoRatio(100, [2]float64{1, 2}), "50–100×"},
		{"Django range in thousands", djangoRatio(9393, [2]float64{1, 2}), "4,697–9,393×"},
		{"no Django figure", djangoRatio(100, [2]float64{}), ""},
		{"rate below 100", formatRate(12.345), "12.3"},
		{"percent whole", formatPercent(0.737), "74%"},
		{"percent below one", formatPercent(0.0075), "0.75%"},
		{"percent tiny", formatPercent(0.000075), "0.0075%"},
		{"percent of baseline itself", formatPercent(1), "100%"},
		{"rate", formatRate(12345.6), "12,346"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestParseFlagsRejects(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"size zero", []string{"-sizes", "0"}, "-sizes"},
		{"size not a number", []string{"-sizes", "10k"}, "-sizes"},
		{"fractional duration", []string{"-duration", "1500ms"}, "whole seconds"},
		{"threads above connections", []string{"-threads", "4", "-connections", "2"}, "-connections 2"},
		{"unknown scenario", []string{"-scenarios", "radius,nearest"}, `unknown scenario "nearest"`},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"address without port", []string{"-addr", "127.0.0.1"}, "not a host and port"},
		{"port out of range", []string{"-addr", "127.0.0.1:70000"}, "from 1 to 65535"},
		{"address not loopback", []string{"-addr", "192.0.2.1:8311"}, "not a loopback address"},
		{"host name", []string{"-addr", "example.org:8311"}, "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(append([]string{"loadtest"}, tt.args...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q) = %v, want an error with %q", tt.args, err, tt.wantErr)
			}
		})
	}

	for _, addr := range []string{"127.0.0.1:8311", "[::1]:8311", "localhost:8311"} {
		if _, err := parseFlags([]string{"loadtest", "-addr", addr}, io.Discard); err != nil {
			t.Errorf("parseFlags(-addr %s) = %v, want no error", addr, err)
		}
	}

	cfg, err := parseFlags([]string{"loadtest", "-sizes", "10_000, 20000", "-scenarios", "radius,import"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.sizes) != 2 || cfg.sizes[0] != 10000 || cfg.sizes[1] != 20000 {
		t.Errorf("sizes = %v, want [10000 20000]", cfg.sizes)
	}
	if !cfg.only["radius"] || !cfg.only["import"] || cfg.only["post"] {
		t.Errorf("scenarios = %v, want radius and import", cfg.only)
	}
}

func TestBaselineOnlyWhenNeeded(t *testing.T) {
	tests := []struct {
		scenarios string
		want      bool
	}{
		{"", true},
		{"services-json", true},
		{"baseline,radius", true},
		{"radius,import", false},
		{"services-xml", true},
		{"request-by-id", false},
	}
	for _, tt := range tests {
		args := []string{"loadtest"}
		if tt.scenarios != "" {
			args = append(args, "-scenarios", tt.scenarios)
		}
		cfg, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.needsBaseline(); got != tt.want {
			t.Errorf("-scenarios %q: needsBaseline() = %v, want %v", tt.scenarios, got, tt.want)
		}
	}
}

// TestWriteScript checks that each script has its request, the data tables in printable
// ASCII and the result line.
func TestWriteScript(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	data := newScriptData([]string{"abc", "def"}, "key123", now, rand.New(rand.NewPCG(1, 2)))
	for _, s := range scenarios("/open311/v2", data) {
		path, err := writeScript(dir, s, data)
		if err != nil {
			t.Fatal(err)
		}
		script, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(script)
		if !strings.Contains(text, "return "+s.request) {
			t.Errorf("%s: the script does not return its request %s", s.name, s.request)
		}
		if !strings.Contains(text, resultPrefix) {
			t.Errorf("%s: the script prints no result line", s.name)
		}
		for i, c := range text {
			if c > '~' {
				t.Errorf("%s: character %q at byte %d is not ASCII", s.name, c, i)
				break
			}
		}
	}
	for _, form := range data.postForms {
		values, err := url.ParseQuery(form)
		if err != nil {
			t.Fatal(err)
		}
		if title := values.Get("title"); utf8.RuneCountInString(title) > 120 {
			t.Errorf("POST form has a title of %d characters, over the limit of 120", utf8.RuneCountInString(title))
		}
	}
	if !strings.Contains(data.postForms[0], "api_key=key123") {
		t.Errorf("POST form %q has no api_key", data.postForms[0])
	}
}

// TestAddressTaken checks that an -addr whose port is in use is rejected with the address in
// the message, and that without -addr the port that the kernel picks is on 127.0.0.1.
func TestAddressTaken(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	taken := listener.Addr().String()

	lt := &loadTest{cfg: config{addr: taken}}
	_, err = lt.address()
	if err == nil || !strings.Contains(err.Error(), "is in use") {
		t.Errorf("address() with %s taken = %v, want an error that it is in use", taken, err)
	}
	if err != nil && !strings.Contains(err.Error(), taken) {
		t.Errorf("address() with %s taken = %v, want the address in the message", taken, err)
	}

	lt.cfg.addr = ""
	addr, err := lt.address()
	if err != nil {
		t.Errorf("address() without -addr error = %v", err)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("address() without -addr = %q, want a port on 127.0.0.1", addr)
	}
}

// TestReportOfReusedStore checks that the report of a store from an earlier run gives no
// seed time, and that a run without the baseline explains its empty column.
func TestReportOfReusedStore(t *testing.T) {
	r := &report{command: "go run ./loadtest -reuse", machine: "test", settings: config{threads: 2, connections: 32},
		sizes: []sizeResult{{size: 10_000, reused: true, dbBytes: 20e6, idleRSS: 30e6}}}
	var b strings.Builder
	r.write(&b)
	out := b.String()
	if strings.Contains(out, "open311 seed took") {
		t.Errorf("report of a reused store gives a seed time:\n%s", out)
	}
	if !strings.Contains(out, "The store is that of an earlier run (-reuse)") {
		t.Errorf("report does not say that the store was reused:\n%s", out)
	}
	if !strings.Contains(out, `named neither baseline nor a service list, so the "of the baseline" column is empty`) {
		t.Errorf("report does not explain the empty baseline column:\n%s", out)
	}
}

// TestBusyShareOfIdleAndBusy checks that busyShare measures a spinning goroutine as busy.
func TestBusyShareOfIdleAndBusy(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc/stat on this system")
	}
	ctx := context.Background()
	share, err := busyShare(ctx, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if share < 0 || share > 1 {
		t.Errorf("busyShare = %v, want a share from 0 to 1", share)
	}

	// One goroutine spinning takes one processor of runtime.NumCPU.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	busy, err := busyShare(ctx, 300*time.Millisecond)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.8 / float64(runtime.NumCPU()); busy < want {
		t.Errorf("busyShare with a spinning goroutine = %.2f, want at least %.2f", busy, want)
	}
}

// TestReportWarnsOfBusyMachine checks that a report of a run on a busy machine warns of it.
func TestReportWarnsOfBusyMachine(t *testing.T) {
	r := &report{command: "go run ./loadtest", machine: "test", busy: 0.4, settings: config{threads: 2, connections: 32}}
	var b strings.Builder
	r.write(&b)
	if want := "other processes kept the processors 40% busy before the run"; !strings.Contains(b.String(), want) {
		t.Errorf("report = %q, want it to contain %q", b.String(), want)
	}
}

// TestReportOfPacedRun checks that the wrk table and the paced table each give the peak RSS
// of their own run and the summary the larger of the two, and that the report gives the
// sender's CPU, the sizes of the responses and the seed's -now.
func TestReportOfPacedRun(t *testing.T) {
	sr := scenarioResult{
		scenario:     scenario{name: "radius", title: "GET circle"},
		paced:        &pacedResult{rate: 1000, completed: 10_000, duration: 10 * time.Second, senderCPU: 2 * time.Second},
		peakRSS:      250e6,
		pacedPeakRSS: 270e6,
		responses:    &responseSize{sampled: 200, results: 99.5, bytes: 117_806},
	}
	r := &report{command: "go run ./loadtest", machine: "test", settings: config{threads: 2, connections: 32},
		sizes: []sizeResult{{size: 1_000_000, dbBytes: 2e9, idleRSS: 100e6, scenarios: []scenarioResult{sr},
			seededAt: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)}}}
	var b strings.Builder
	r.write(&b)
	out := b.String()
	for _, want := range []string{"| 250 MB |", "| 270 MB |", "peak RSS over the scenarios was 270 MB",
		"| 20% | 99.5 | 117.8 KB |", "-now 2026-03-05T08:00:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestDescribeBinaryWithoutCommit checks the description of a binary whose build information
// names no commit, and of a file that is missing.
func TestDescribeBinaryWithoutCommit(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// go test stamps no version control information into the test binary.
	if got, want := describeBinary(self), "without a commit in its build information"; !strings.Contains(got, want) {
		t.Errorf("describeBinary(test binary) = %q, want %q", got, want)
	}
	if got, want := describeBinary(self), "("+runtime.Version(); !strings.Contains(got, want) {
		t.Errorf("describeBinary(test binary) = %q, want the Go version %q", got, want)
	}
	if got, want := describeBinary(filepath.Join(t.TempDir(), "missing")), "could not be read"; !strings.Contains(got, want) {
		t.Errorf("describeBinary(missing file) = %q, want %q", got, want)
	}
}
