package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open311-to-go/open311/sqlite"
)

// TestKeysMissingStore checks that listing or revoking keys, or collecting media, in a store
// that does not exist is a usage error that creates no store file.
func TestKeysMissingStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "typo.db")
	cases := [][]string{
		{"list", "-db", db},
		{"revoke", "-db", db, "default"},
	}
	for _, args := range cases {
		_, stderr, err := runCommand(keys, args...)
		if err != (exitError{2}) {
			t.Errorf("keys %v: err = %v, want exit status 2", args, err)
		}
		if want := "open311 keys " + args[0] + ": no store at " + db; !strings.Contains(stderr, want) {
			t.Errorf("keys %v printed %q, want %q", args, stderr, want)
		}
	}
	_, stderr, err := runCommand(mediaCommand, "gc", "-db", db)
	if err != (exitError{2}) {
		t.Errorf("media gc: err = %v, want exit status 2", err)
	}
	if want := "open311 media gc: no store at " + db; !strings.Contains(stderr, want) {
		t.Errorf("media gc printed %q, want %q", stderr, want)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the commands created %s (stat: %v)", db, err)
	}
}

// TestKeysCreateNamesNewStore checks that a key created in a store that did not exist says
// so, because the -db path may be a typo, and that a second key does not.
func TestKeysCreateNamesNewStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "new.db")
	stdout, stderr, err := runCommand(keys, "create", "-db", db, "first")
	if err != nil {
		t.Fatalf("keys create in a new store: %v (%s)", err, stderr)
	}
	if strings.TrimSpace(stdout) == "" {
		t.Error("keys create printed no key on stdout")
	}
	if want := `Created client key "first" in the new store ` + db; !strings.Contains(stderr, want) {
		t.Errorf("keys create in a new store printed %q, want %q", stderr, want)
	}
	_, stderr, err = runCommand(keys, "create", "-db", db, "second")
	if err != nil {
		t.Fatalf("keys create in the same store: %v (%s)", err, stderr)
	}
	if strings.Contains(stderr, "new store") {
		t.Errorf("keys create in an existing store printed %q, want no mention of a new store", stderr)
	}
}

// TestKeysAndMediaUsage checks that keys -h and media -h describe their own commands instead
// of printing the general usage.
func TestKeysAndMediaUsage(t *testing.T) {
	cases := []struct {
		command func(ctx context.Context, env environment, args []string) error
		args    []string
		want    []string
	}{
		{keys, []string{"-h"}, []string{"open311 keys revoke [flags] NAME", "revoke stops a key"}},
		{keys, []string{"create", "-h"}, []string{"Flags of open311 keys create:", "-role role"}},
		{mediaCommand, []string{"-h"}, []string{"Usage: open311 media gc [flags]", "-grace duration"}},
	}
	for _, c := range cases {
		_, stderr, err := runCommand(c.command, c.args...)
		if err != (exitError{0}) {
			t.Errorf("%v: err = %v, want exit status 0", c.args, err)
		}
		for _, want := range c.want {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v printed %q, want %q", c.args, stderr, want)
			}
		}
		if strings.Contains(stderr, "open311 [serve] [flags]") {
			t.Errorf("%v printed the general usage:\n%s", c.args, stderr)
		}
	}
}

// TestKeysArgumentCount checks that a missing, extra or unexpected name gets exit status 2 and
// a message that names the fault and gives an example.
func TestKeysArgumentCount(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"create", "-db", db}, "open311 keys create: the key name is missing; give one after the flags, such as open311 keys create -db open311.db city-app"},
		{[]string{"revoke", "-db", db}, "open311 keys revoke: the key name is missing"},
		{[]string{"create", "-db", db, "a", "b"}, "open311 keys create: 2 names given (a b); give one key name, after the flags"},
		{[]string{"list", "-db", db, "a"}, `open311 keys list: unexpected argument "a"; it takes flags only`},
	}
	for _, c := range cases {
		_, stderr, err := runCommand(keys, c.args...)
		if err != (exitError{2}) {
			t.Errorf("keys %v: err = %v, want exit status 2", c.args, err)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("keys %v printed %q, want %q", c.args, stderr, c.want)
		}
	}
}

func TestProgramName(t *testing.T) {
	tests := []struct {
		arg0 string
		want string
	}{
		{"open311", "open311"},
		{"./open311", "./open311"},
		{"/usr/local/bin/open311", "/usr/local/bin/open311"},
		{"/tmp/go-build2817361/b001/exe/open311", "go run ."},
		{"/root/.cache/go-build/3e/3ebee102cea4-d/open311", "go run ."},
		{"/home/me/my tools/open311", "'/home/me/my tools/open311'"},
		{"", "open311"},
	}
	for _, tt := range tests {
		if got := programName(tt.arg0); got != tt.want {
			t.Errorf("programName(%q) = %q, want %q", tt.arg0, got, tt.want)
		}
	}
}

// TestFirstKeyHintRuns checks that the hint after the first key names the command as the
// user started the server, quotes a -db path for the shell and hides a MongoDB password.
func TestFirstKeyHintRuns(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		program string
		db      string
		want    string
	}{
		{"go run .", filepath.Join(dir, "open311.db"), "Create more with: go run . keys create -db " + filepath.Join(dir, "open311.db") + " NAME\n"},
		{"./open311", filepath.Join(dir, "city data.db"), "Create more with: ./open311 keys create -db '" + filepath.Join(dir, "city data.db") + "' NAME\n"},
		{"open311", "mongodb://open311:s3cret@db.example.org/city?tls=true&w=majority",
			"Create more with: open311 keys create -db 'mongodb://open311:xxxxx@db.example.org/city?tls=true&w=majority' NAME, with the password of -db in place of xxxxx\n"},
	}
	for _, tt := range tests {
		// The hint names tt.db, but the key goes to a store of its own.
		store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "open311.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		env := environment{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: &stderr, program: tt.program}
		err = ensureKey(context.Background(), env, store, tt.db, slog.New(slog.DiscardHandler))
		store.Close()
		if err != nil {
			t.Fatalf("ensureKey: %v", err)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("ensureKey with program %q and -db %q printed %q, want %q", tt.program, tt.db, stderr.String(), tt.want)
		}
		if strings.Contains(stderr.String(), "s3cret") {
			t.Errorf("ensureKey printed the password of -db: %q", stderr.String())
		}
	}
}
