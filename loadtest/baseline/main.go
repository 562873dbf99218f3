// Command baseline serves the bytes of one file for every request, on a bare net/http server
// with the timeouts of open311 serve. The load test runs it to measure the most that Go's HTTP
// stack serves on the machine, and reads every other figure as a fraction of that.
//
// Usage:
//
//	baseline -addr 127.0.0.1:8081 -body services.json -content-type 'application/json; charset=utf-8'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "`address` to listen on, host:port")
	bodyFile := flag.String("body", "", "`file` whose bytes every response carries (required)")
	contentType := flag.String("content-type", "application/json; charset=utf-8", "Content-Type of every response")
	flag.Parse()

	if err := run(*addr, *bodyFile, *contentType); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(addr, bodyFile, contentType string) error {
	if bodyFile == "" {
		return errors.New("-body is missing; name the file whose bytes to serve")
	}
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return fmt.Errorf("-body: %w", err)
	}
	length := strconv.Itoa(len(body))

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", length)
		w.Write(body)
	})
	// The same limits as open311 serve, so that both servers pay for the same checks.
	server := &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- server.ListenAndServe() }()
	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return server.Shutdown(shutdownCtx)
}
