package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// keysUsage describes the keys commands, for -h.
const keysUsage = `Usage: open311 keys create [flags] NAME
       open311 keys list [flags]
       open311 keys revoke [flags] NAME

create makes an API key, prints it once on stdout and stores only its hash; -role staff makes
a key for the staff interface. list shows each key's name, role, state and creation time,
never the key. revoke stops a key at once, also on a running server. Each takes -db, and
create also -role; open311 keys create -h lists them.
`

// keys runs open311 keys create, list and revoke.
func keys(ctx context.Context, env environment, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, "open311 keys: name a command: create, list or revoke\n\n"+usage)
		return exitError{2}
	}
	command, args := args[0], args[1:]
	switch command {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.stderr, keysUsage)
		return exitError{0}
	}
	fs := flag.NewFlagSet("open311 keys "+command, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), keysUsage+"\nFlags of open311 keys "+command+":\n")
		fs.PrintDefaults()
	}
	db := fs.String("db", "open311.db", "store: a SQLite file `path`, or a mongodb:// or mongodb+srv:// URI")
	role := georeport.RoleClient
	if command == "create" {
		fs.Var((*keyRole)(&role), "role", "`role` of the key: client (may POST requests) or staff")
	}
	if err := env.parseFlags(fs, args); err != nil {
		return err
	}
	wantArgs := 1
	if command == "list" {
		wantArgs = 0
	}
	switch command {
	case "create", "list", "revoke":
		switch {
		case fs.NArg() == wantArgs:
		case wantArgs == 0:
			fmt.Fprintf(env.stderr, "open311 keys list: unexpected argument %q; it takes flags only, such as -db\n", fs.Arg(0))
			return exitError{2}
		case fs.NArg() == 0:
			fmt.Fprintf(env.stderr, "open311 keys %s: the key name is missing; give one after the flags, such as %s keys %s -db open311.db city-app\n", command, env.command(), command)
			return exitError{2}
		default:
			fmt.Fprintf(env.stderr, "open311 keys %s: %d names given (%s); give one key name, after the flags\n", command, fs.NArg(), strings.Join(fs.Args(), " "))
			return exitError{2}
		}
	default:
		fmt.Fprintf(env.stderr, "open311 keys: unknown command %q; use create, list or revoke\n", command)
		return exitError{2}
	}
	if command != "list" && fs.Arg(0) == "" {
		fmt.Fprintf(env.stderr, "open311 keys %s: the key name is empty; give a name such as city-app\n", command)
		return exitError{2}
	}

	if command == "create" {
		if err := checkStorePath(*db); err != nil {
			fmt.Fprintf(env.stderr, "open311 keys create: %v\n", err)
			return exitError{2}
		}
	} else {
		// Listing or revoking keys of a store that does not exist is a typo in -db, and
		// opening it would create an empty store.
		if err := requireExistingStore(*db); err != nil {
			fmt.Fprintf(env.stderr, "open311 keys %s: %v\n", command, err)
			return exitError{2}
		}
	}
	// A key may be created before the server first starts, in a new store, but a new store
	// may also be a typo in -db, so the message names a new store.
	newStore := requireExistingStore(*db) != nil
	store, err := openWriter(ctx, *db, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer store.Close()

	switch command {
	case "create":
		name := fs.Arg(0)
		key, err := createKey(ctx, store, name, role)
		if err != nil {
			return err
		}
		where := ""
		if newStore {
			where = fmt.Sprintf(" in the new store %s (check -db if you meant an existing one)", *db)
		}
		fmt.Fprintf(env.stderr, "Created %s key %q%s. Keep it now: it is not shown again.\n", role, name, where)
		fmt.Fprintln(env.stdout, key)
	case "list":
		list, err := store.Keys(ctx)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tSTATE\tCREATED")
		for _, k := range list {
			state := "active"
			if !k.Active {
				state = "revoked"
			}
			created := "-"
			if !k.Created.IsZero() {
				created = k.Created.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.Name, k.Role, state, created)
		}
		return w.Flush()
	case "revoke":
		name := fs.Arg(0)
		list, err := store.Keys(ctx)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		for _, k := range list {
			if k.Name == name && !k.Active {
				fmt.Fprintf(env.stderr, "Key %q was revoked already.\n", name)
				return nil
			}
		}
		if err := store.RevokeKey(ctx, name); err != nil {
			if georeport.KindOf(err) == georeport.NotFound {
				return fmt.Errorf("no key is named %q; open311 keys list shows the names", name)
			}
			return fmt.Errorf("revoke key %q: %w", name, err)
		}
		fmt.Fprintf(env.stderr, "Revoked key %q.\n", name)
	}
	return nil
}

// createKey stores a new key under name and returns the key, which exists nowhere else.
func createKey(ctx context.Context, store georeport.Store, name, role string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("a key needs a name")
	}
	key := georeport.NewAPIKey()
	err := store.CreateKey(ctx, &georeport.Key{Name: name, Role: role, Hash: georeport.HashKey(key), Active: true,
		Created: time.Now().UTC().Truncate(time.Second)})
	if georeport.KindOf(err) == georeport.Conflict {
		return "", fmt.Errorf("a key named %q exists already; choose another name", name)
	}
	if err != nil {
		return "", fmt.Errorf("create key %q: %w", name, err)
	}
	return key, nil
}
