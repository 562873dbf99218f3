package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPacedRunKeepsItsRate(t *testing.T) {
	var served atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(2 * time.Millisecond)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer server.Close()

	paths := 0
	got, err := runPaced(context.Background(), server.URL, 200, time.Second, 32, 1, func(*rand.Rand) string {
		paths++
		return "/"
	})
	if err != nil {
		t.Fatalf("runPaced error = %v", err)
	}
	if got.sent != 200 || got.completed != 200 || paths != 200 || served.Load() != 200 {
		t.Errorf("sent %d, completed %d, drew %d paths, server saw %d; want 200 of each", got.sent, got.completed, paths, served.Load())
	}
	if got.errors != 0 || got.skipped != 0 {
		t.Errorf("errors %d, not sent %d; want none", got.errors, got.skipped)
	}
	if got.p50 < 2000 {
		t.Errorf("p50 = %d µs, less than the handler's 2 ms", got.p50)
	}
}

// TestPacedRunCountsTheQueue checks the open loop: a server that serves one request at a time
// in 20 ms, 50 a second, gets 100 a second anyway, and the latency grows with its queue.
func TestPacedRunCountsTheQueue(t *testing.T) {
	var mu sync.Mutex
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		time.Sleep(20 * time.Millisecond)
		mu.Unlock()
	}))
	defer server.Close()

	got, err := runPaced(context.Background(), server.URL, 100, time.Second, 32, 1, func(*rand.Rand) string { return "/" })
	if err != nil {
		t.Fatalf("runPaced error = %v", err)
	}
	if got.sent != 100 {
		t.Errorf("sent %d requests, want 100 whatever the server's pace", got.sent)
	}
	// The last request waits for about 50 before it, a second.
	if got.maxLatency < 500_000 {
		t.Errorf("max latency = %d µs, want the queue of at least 500 ms in it", got.maxLatency)
	}
}

func TestPacedRunCountsErrors(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer server.Close()

	got, err := runPaced(context.Background(), server.URL, 50, time.Second, 32, 1, func(*rand.Rand) string { return "/x" })
	if err != nil {
		t.Fatalf("runPaced error = %v", err)
	}
	if got.errors != 50 || got.completed != 0 {
		t.Errorf("errors %d, completed %d; want 50 and 0", got.errors, got.completed)
	}
	if got.firstError == "" {
		t.Error("firstError is empty")
	}
}

func TestPercentile(t *testing.T) {
	values := make([]int64, 1000)
	for i := range values {
		values[i] = int64(i + 1)
	}
	for _, tt := range []struct {
		p    float64
		want int64
	}{{50, 500}, {99, 990}, {99.9, 999}, {100, 1000}, {0, 1}} {
		if got := percentile(values, tt.p); got != tt.want {
			t.Errorf("percentile(1..1000, %v) = %d, want %d", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("percentile(nil, 99) = %d, want 0", got)
	}
}

// TestSenderReadsEveryBody checks the sender's HTTP/1.1 reading: a body of known length, a
// chunked one, an error status, and a server that closes the connection after a response.
func TestSenderReadsEveryBody(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(strings.Repeat("a", 100_000))) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 5 {
			w.Write([]byte(strings.Repeat("b", 30_000)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Write([]byte("bye"))
	})
	server := httptest.NewServer(mux)
	defer server.Close()

	c := &senderConn{host: strings.TrimPrefix(server.URL, "http://")}
	defer c.close()
	for _, path := range []string{"/length", "/chunked", "/length?again=1", "/close", "/chunked"} {
		if err := c.get(path); err != nil {
			t.Errorf("get(%s) error = %v", path, err)
		}
	}
	err := c.get("/missing")
	var status *statusError
	if !errors.As(err, &status) || !strings.Contains(err.Error(), "404") {
		t.Errorf("get(/missing) error = %v, want a 404 status error", err)
	}
	if err := c.get("/length"); err != nil {
		t.Errorf("get(/length) after a 404 error = %v", err)
	}
}
