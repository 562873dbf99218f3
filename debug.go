package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugMux routes the profiles of net/http/pprof.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// debugServer returns the server of -debug-addr. Its write timeout is longer than the
// longest CPU profile that the pprof tool requests by default (30 s).
func debugServer(logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           debugMux(),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
