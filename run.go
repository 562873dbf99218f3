package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// exitError ends the program with a status after the command has printed its own report.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a wrong command line or environment, such as an invalid flag value, that a
// command found after it parsed its flags. The program prints it and exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func (e usageError) Unwrap() error { return e.err }

// invalidf returns a usageError with the formatted message.
func invalidf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitStatus prints err to stderr, unless the command printed its own report, and returns the
// exit status for it: 0 for nil, 2 for a wrong command line and 1 for other failures.
func exitStatus(err error, stderr io.Writer) int {
	var exit exitError
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "open311:", err)
		return 2
	}
	fmt.Fprintln(stderr, "open311:", err)
	return 1
}

// run runs the command line args (the program name first) and returns when the command ends
// or ctx is cancelled. getenv reads the environment; stdout and stderr take the output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := environment{getenv: getenv, stdout: stdout, stderr: stderr, program: programName(args[0])}
	command, rest := "serve", args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		command, rest = rest[0], rest[1:]
	} else {
		// open311 -h runs serve -h, and is where a new user looks for the other commands.
		env.listCommands = true
	}
	switch command {
	case "serve":
		return serve(ctx, env, rest)
	case "import":
		return importFiles(ctx, env, rest)
	case "keys":
		return keys(ctx, env, rest)
	case "media":
		return mediaCommand(ctx, env, rest)
	case "healthcheck":
		return healthcheck(ctx, env, rest)
	case "seed":
		return seedCommand(ctx, env, rest)
	case "cluster":
		return clusterCommand(ctx, env, rest)
	case "help":
		if len(rest) > 0 && rest[0] != "help" {
			// open311 help CMD prints the flags of CMD, as CMD -h does, but to stdout like
			// open311 help.
			return run(ctx, []string{args[0], rest[0], "-h"}, getenv, stdout, stdout)
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "open311: unknown command %q\n\n%s", command, usage)
	return exitError{2}
}

const usage = `Usage:
  open311 [serve] [flags]              run the server (the default command)
  open311 import [flags] FILE...       import GeoReport v2 requests and service lists
  open311 seed [flags] -n N            generate N requests like Helsinki's feedback, for load tests
  open311 cluster [flags]              store requests in the order of their places (SQLite)
  open311 keys create [flags] NAME     create an API key and print it once
  open311 keys list [flags]            list API keys (never the keys themselves)
  open311 keys revoke [flags] NAME     revoke an API key
  open311 media gc [flags]             delete uploads that a crash left without a request
  open311 healthcheck [flags]          exit 0 when the server's /healthz returns 200 OK

Run a command with -h, or open311 help COMMAND, for its flags. Every flag also reads the environment
variable OPEN311_<FLAG>, such as OPEN311_DB for -db; a flag on the command line wins.
`

// environment is the part of the process that commands use: variables and output.
type environment struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	// listCommands makes serve -h print the list of commands first, because the command line
	// named no command and serve ran as the default.
	listCommands bool
	// program is the command that starts this program as the user started it, for hints
	// that print a command line to run, such as ./open311 or go run .
	program string
}

// command returns program, or open311 when the environment has none, as in tests.
func (e environment) command() string {
	if e.program == "" {
		return "open311"
	}
	return e.program
}

// programName returns the command that starts this program again as the user started it:
// "go run ." for a binary that go run built, else arg0 as the user typed it, such as open311
// or ./open311. go run builds into a folder named go-build… under the temporary folder, or,
// since Go 1.24, into the build cache, whose default folder is named go-build too.
// NOTE: With GOCACHE set to another folder, a binary that go run built and cached is
// printed with its path in the cache, which runs as long as the cache keeps it.
func programName(arg0 string) string {
	if arg0 == "" {
		return "open311"
	}
	for _, folder := range strings.Split(filepath.ToSlash(filepath.Dir(arg0)), "/") {
		if strings.HasPrefix(folder, "go-build") {
			return "go run ."
		}
	}
	return shellQuote(arg0)
}

// shellQuote returns s as one word of a POSIX shell command line: as it is when none of its
// characters needs quoting, else in single quotes.
func shellQuote(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseFlags parses args, then sets each flag that args did not set from its environment
// variable OPEN311_<NAME>, so that a flag on the command line wins even over an invalid
// variable. It returns exitError 2 for bad flags and bad values of the variables, and 0
// after -h.
func (env environment) parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(env.stderr)
	// The flag package prints the usage after every parse error, which for a command with
	// many flags scrolls the error out of view. The usage is printed for -h only, and an
	// error gets a pointer to it instead.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		if usage != nil {
			usage()
		} else {
			fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
			fs.PrintDefaults()
		}
		return exitError{0}
	case err != nil:
		fmt.Fprintf(fs.Output(), "run %s -h for the flags and their defaults\n", fs.Name())
		return exitError{2}
	}

	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	invalid := false
	fs.VisitAll(func(f *flag.Flag) {
		name := "OPEN311_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		value := env.getenv(name)
		if value == "" || onCommandLine[f.Name] || invalid {
			return
		}
		if err := fs.Set(f.Name, value); err != nil {
			// The message has the form of the flag package's own, and also names the flag.
			fmt.Fprintf(fs.Output(), "invalid value %q for environment variable %s (flag -%s): %v\n", value, name, f.Name, err)
			invalid = true
		}
	})
	if invalid {
		fmt.Fprintf(fs.Output(), "run %s -h for the flags and their defaults\n", fs.Name())
		return exitError{2}
	}
	return nil
}
