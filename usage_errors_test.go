package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWithEnvironment runs a command of open311 with args and the environment variables vars,
// and returns its output and the exit status that the program would end with.
func runWithEnvironment(command func(context.Context, environment, []string) error, vars map[string]string, args ...string) (stderr string, status int) {
	var out, errOut bytes.Buffer
	env := environment{getenv: func(name string) string { return vars[name] }, stdout: &out, stderr: &errOut}
	err := command(context.Background(), env, args)
	status = exitStatus(err, &errOut)
	return errOut.String(), status
}

// TestEnvironmentBadValues gives each command an invalid value in an OPEN311_ variable, and
// requires exit status 2 with a message that names the variable, its flag and the value.
func TestEnvironmentBadValues(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	cases := []struct {
		name    string
		command func(context.Context, environment, []string) error
		args    []string
		vars    map[string]string
		want    string
	}{
		{"serve", serve, []string{"-db", db}, map[string]string{"OPEN311_MAX_BODY": "lots"},
			`invalid value "lots" for environment variable OPEN311_MAX_BODY (flag -max-body): "lots" is not a size in bytes`},
		{"seed", seedCommand, []string{"-db", db}, map[string]string{"OPEN311_N": "abc"},
			`invalid value "abc" for environment variable OPEN311_N (flag -n): "abc" is not a whole number`},
		{"healthcheck", healthcheck, nil, map[string]string{"OPEN311_TIMEOUT": "soon"},
			`invalid value "soon" for environment variable OPEN311_TIMEOUT (flag -timeout)`},
		{"media gc", mediaCommand, []string{"gc", "-db", db}, map[string]string{"OPEN311_GRACE": "long"},
			`invalid value "long" for environment variable OPEN311_GRACE (flag -grace)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stderr, status := runWithEnvironment(c.command, c.vars, c.args...)
			if status != 2 {
				t.Errorf("exit status %d, want 2; output %q", status, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("output %q, want it to contain %q", stderr, c.want)
			}
			if want := "run open311 " + c.name + " -h for the flags"; !strings.Contains(stderr, want) {
				t.Errorf("output %q, want it to contain %q", stderr, want)
			}
		})
	}
}

// TestFlagWinsOverBadEnvironment checks that a flag on the command line replaces its
// variable, so that an invalid value in the variable is not read.
func TestFlagWinsOverBadEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	vars := map[string]string{"OPEN311_N": "abc", "OPEN311_NOW": "2026-03-05T08:00:00Z"}
	stderr, status := runWithEnvironment(seedCommand, vars, "-db", db, "-n", "3")
	if status != 0 {
		t.Errorf("seed -n 3 with OPEN311_N=abc: exit status %d, want 0; output %q", status, stderr)
	}
}

// usageCase is a command line, with variables, that a command must reject with exit status 2
// and an output that contains want.
type usageCase struct {
	name    string
	command func(context.Context, environment, []string) error
	args    []string
	vars    map[string]string
	want    string
}

// requireExitTwo runs each case and checks its exit status and output, and that no case
// created the store newDB.
func requireExitTwo(t *testing.T, newDB string, cases []usageCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A command that misses the invalid value stops at once instead of serving.
			stopped := func(ctx context.Context, env environment, args []string) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return c.command(ctx, env, args)
			}
			stderr, status := runWithEnvironment(stopped, c.vars, c.args...)
			if status != 2 {
				t.Errorf("exit status %d, want 2; output %q", status, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("output %q, want it to contain %q", stderr, c.want)
			}
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("output %q contains the password of -db", stderr)
			}
			if _, err := os.Stat(newDB); !os.IsNotExist(err) {
				t.Errorf("the command created %s (stat: %v)", newDB, err)
			}
		})
	}
}

// createStore creates a SQLite store with one key at path.
func createStore(t *testing.T, path string) {
	t.Helper()
	if _, stderr, err := runCommand(keys, "create", "-db", path, "first"); err != nil {
		t.Fatalf("keys create: %v (%s)", err, stderr)
	}
}

// TestInvalidStoreValuesExitTwo gives serve, keys and seed a -db that cannot be opened and
// invalid key values, and requires exit status 2 before a store is created.
func TestInvalidStoreValuesExitTwo(t *testing.T) {
	dir := t.TempDir()
	newDB := filepath.Join(dir, "new.db")
	missing := filepath.Join(dir, "missing", "x.db")
	existing := filepath.Join(dir, "existing.db")
	createStore(t, existing)
	notDatabase := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notDatabase, []byte(strings.Repeat("not a database\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	createStore(t, newer)
	execSQL(t, newer, "PRAGMA user_version = 99")
	requireExitTwo(t, newDB, []usageCase{
		{"serve not a database", serve, []string{"-db", notDatabase}, nil, "open311 serve: -db " + notDatabase + " is not a SQLite database that can be read"},
		{"serve newer schema", serve, []string{"-db", newer}, nil, "has schema version 99, newer than version"},
		{"keys create not a database", keys, []string{"create", "-db", notDatabase, "x"}, nil, "is not a SQLite database that can be read"},
		{"keys list not a database", keys, []string{"list", "-db", notDatabase}, nil, "open311 keys list: -db " + notDatabase + " is not a SQLite database"},
		{"media gc not a database", mediaCommand, []string{"gc", "-db", notDatabase}, nil, "open311 media gc: -db " + notDatabase + " is not a SQLite database"},
		{"seed newer schema", seedCommand, []string{"-db", newer, "-n", "5"}, nil, "has schema version 99, newer than version"},
		{"serve db folder missing", serve, []string{"-db", missing}, nil, "-db " + missing + ": the folder " + filepath.Dir(missing) + " does not exist"},
		{"serve db is a folder", serve, []string{"-db", dir}, nil, "-db " + dir + " is a folder"},
		{"serve db empty", serve, []string{"-db", ""}, nil, "-db is empty"},
		{"keys role", keys, []string{"create", "-db", newDB, "-role", "admin", "x"}, nil, `invalid value "admin" for flag -role: "admin" is not a role; use client or staff`},
		{"keys role variable", keys, []string{"create", "-db", newDB, "x"}, map[string]string{"OPEN311_ROLE": "admin"}, `environment variable OPEN311_ROLE (flag -role)`},
		{"keys empty name", keys, []string{"create", "-db", newDB, ""}, nil, "open311 keys create: the key name is empty"},
		{"keys revoke empty name", keys, []string{"revoke", "-db", existing, ""}, nil, "open311 keys revoke: the key name is empty"},
		{"keys MongoDB URI", keys, []string{"create", "-db", "mongodb://open311:s3cret@[::1", "x"}, nil, "-db mongodb://xxxxx@[::1 is not a valid MongoDB connection string"},
		{"keys db folder missing", keys, []string{"create", "-db", missing, "x"}, nil, "open311 keys create: -db " + missing + ": the folder"},
		{"seed db folder missing", seedCommand, []string{"-db", missing, "-n", "5"}, nil, "open311 seed: -db " + missing + ": the folder"},
		{"seed MongoDB URI", seedCommand, []string{"-db", "mongodb://[::1", "-n", "5"}, nil, "is not a valid MongoDB connection string"},
	})
}

// TestInvalidAddressesExitTwo gives serve and healthcheck addresses, URLs and timeouts that are
// invalid, and requires exit status 2 before serve creates a store.
func TestInvalidAddressesExitTwo(t *testing.T) {
	newDB := filepath.Join(t.TempDir(), "new.db")
	requireExitTwo(t, newDB, []usageCase{
		{"serve addr", serve, []string{"-db", newDB, "-addr", "nonsense"}, nil, `invalid value "nonsense" for flag -addr: "nonsense" is not an address to listen on; use host:port`},
		{"serve addr port", serve, []string{"-db", newDB, "-addr", "127.0.0.1:99999"}, nil, `invalid port "99999"; use a number from 0 to 65535`},
		{"serve debug addr", serve, []string{"-db", newDB, "-debug-addr", "6060"}, nil, `invalid value "6060" for flag -debug-addr`},
		{"serve addr variable", serve, []string{"-db", newDB}, map[string]string{"OPEN311_ADDR": "8080"}, `invalid value "8080" for environment variable OPEN311_ADDR (flag -addr)`},
		{"serve functions port", serve, []string{"-db", newDB}, map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "abc"}, `FUNCTIONS_CUSTOMHANDLER_PORT="abc" is not a port; use a number from 0 to 65535`},
		{"healthcheck addr", healthcheck, []string{"-addr", "8080"}, nil, `-addr or OPEN311_ADDR "8080" is not host:port`},
		{"healthcheck addr port", healthcheck, []string{"-addr", ":99999"}, nil, `-addr or OPEN311_ADDR ":99999" is not host:port with a port from 1 to 65535`},
		{"healthcheck addr variable", healthcheck, nil, map[string]string{"OPEN311_ADDR": "8080"}, `OPEN311_ADDR "8080"`},
		{"healthcheck url", healthcheck, []string{"-url", "ftp://127.0.0.1/healthz"}, nil, `-url "ftp://127.0.0.1/healthz" is not valid`},
		{"healthcheck url port", healthcheck, []string{"-url", "http://127.0.0.1:99999/healthz"}, nil, `-url "http://127.0.0.1:99999/healthz" is not valid`},
		{"healthcheck timeout", healthcheck, []string{"-timeout", "0s"}, nil, "-timeout 0s is not valid; use a positive duration"},
	})
}

// TestInvalidMediaAndDurationsExitTwo gives serve and media gc invalid media stores,
// durations and sample rates, and requires exit status 2 before serve creates a store.
func TestInvalidMediaAndDurationsExitTwo(t *testing.T) {
	dir := t.TempDir()
	newDB := filepath.Join(dir, "new.db")
	existing := filepath.Join(dir, "existing.db")
	createStore(t, existing)
	requireExitTwo(t, newDB, []usageCase{
		{"serve media", serve, []string{"-db", newDB, "-media", "s3:bucket"}, nil, `-media: media: unsupported store "s3:bucket": use file:DIR, azblob:CONTAINER or https://HOST/PATH`},
		{"serve media variable", serve, []string{"-db", newDB}, map[string]string{"OPEN311_MEDIA": "s3:bucket"}, `unsupported store "s3:bucket"`},
		{"serve azblob without connection string", serve, []string{"-db", newDB, "-media", "azblob:media"}, nil, "set AZURE_STORAGE_CONNECTION_STRING or AzureWebJobsStorage"},
		{"serve azblob connection string", serve, []string{"-db", newDB, "-media", "azblob:media"}, map[string]string{"AZURE_STORAGE_CONNECTION_STRING": "garbage"}, "invalid Azure Storage connection string"},
		{"serve media base URL", serve, []string{"-db", newDB, "-media-base-url", "cdn.example.org"}, nil, `-media-base-url "cdn.example.org" is not valid; use the http:// or https:// URL`},
		{"serve sample rate", serve, []string{"-db", newDB, "-sentry-traces-sample-rate", "2"}, nil, `"2" is not a number from 0 to 1`},
		{"serve drain delay", serve, []string{"-db", newDB, "-drain-delay", "-5s"}, nil, "-drain-delay -5s is not valid; use 0 or a positive duration"},
		{"serve shutdown timeout", serve, []string{"-db", newDB, "-shutdown-timeout", "-1s"}, nil, "-shutdown-timeout -1s is not valid"},
		{"serve media grace", serve, []string{"-db", newDB, "-media-grace", "-1h"}, nil, "-media-grace -1h0m0s is not valid"},
		{"serve duration form", serve, []string{"-db", newDB, "-drain-delay", "soon"}, nil, `"soon" is not a duration such as 30s, 5m or 1h`},
		{"media gc media", mediaCommand, []string{"gc", "-db", existing, "-media", "s3:bucket"}, nil, `open311 media gc: -media: media: unsupported store "s3:bucket"`},
		{"media gc folder missing", mediaCommand, []string{"gc", "-db", existing, "-media", "file:" + filepath.Join(dir, "media")}, nil, "no folder at " + filepath.Join(dir, "media")},
		{"media gc grace", mediaCommand, []string{"gc", "-db", existing, "-grace", "-1h"}, nil, "-grace -1h0m0s is not valid; use 0 or a positive duration"},
		{"media gc argument", mediaCommand, []string{"gc", "-db", existing, "extra"}, nil, `unexpected argument "extra"`},
	})
}

// TestInvalidSeedPathsExitTwo gives seed a -json or -cpuprofile file that cannot be created,
// and requires exit status 2 before seed writes anything.
func TestInvalidSeedPathsExitTwo(t *testing.T) {
	dir := t.TempDir()
	newDB := filepath.Join(dir, "new.db")
	missing := filepath.Join(dir, "missing", "x.json")
	requireExitTwo(t, newDB, []usageCase{
		{"json folder missing", seedCommand, []string{"-db", newDB, "-n", "5", "-json", missing}, nil, "open311 seed: -json " + missing + ": the folder " + filepath.Dir(missing) + " does not exist"},
		{"profile folder missing", seedCommand, []string{"-db", newDB, "-n", "5", "-cpuprofile", missing}, nil, "open311 seed: -cpuprofile " + missing + ": the folder"},
	})
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("seed created the folder %s (stat: %v)", filepath.Dir(missing), err)
	}
}
