// Command ferretdbserver runs FerretDB 1.24 with its SQLite backend on a loopback address,
// for the tests of package mongo. It is a module of its own, so that FerretDB and its
// dependencies stay out of the server's module.
//
// Usage:
//
//	ferretdbserver -dir DIR [-listen 127.0.0.1:0]
//
// It prints the MongoDB URI it serves as the first line of standard output, then serves
// until standard input closes or it receives SIGINT or SIGTERM. Closing standard input
// stops the server when the test that started it ends, even if the test crashed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdbserver:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ferretdbserver", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "loopback `address` to listen on, host:port; port 0 picks a free port")
	dir := fs.String("dir", "", "`directory` of the SQLite files, one per database (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is missing: name a directory for the SQLite files")
	}
	if err := checkLoopback(*listen); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}

	// FerretDB warns of each command it lacks, such as the endSessions that the Go driver
	// sends on Disconnect, so only errors reach the test's output.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		return fmt.Errorf("start ferretdb: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The test keeps standard input open while it needs the server.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()

	done := make(chan error, 1)
	go func() { done <- server.Run(ctx) }()

	// MongoDBURI waits until the listener is bound, so the URI has the real port.
	fmt.Println(server.MongoDBURI())

	return <-done
}

// checkLoopback returns an error unless address is host:port on a loopback address, because
// this server has no authentication.
func checkLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", address, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: the host must be a loopback address such as 127.0.0.1", address)
	}
	return nil
}
