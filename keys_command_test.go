package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
