package main

import (
	"bytes"
	"context"
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
