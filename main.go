// Command open311 is an Open311 GeoReport v2 server with the City of Helsinki's extensions.
//
// Usage:
//
//	open311 [serve] [flags]          run the server (the default)
//	open311 import [flags] FILE...   import requests and service lists
//	open311 keys create|list|revoke  manage API keys
//
// Run a command with -h for its flags. Every flag also reads the environment variable
// OPEN311_<FLAG>, such as OPEN311_DB for -db; a flag on the command line wins.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if status := exitStatus(err, os.Stderr); status != 0 {
		os.Exit(status)
	}
}
